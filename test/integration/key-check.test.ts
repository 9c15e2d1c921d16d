import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createDb, ensureDatabase, migrateLatest } from '../../src/db/knex';
import { checkEncryptionKey } from '../../src/signing/key-check';
import { SecretBox } from '../../src/signing/secret-box';

describe('encryption key check at start-up', () => {
  it('accepts the key the database was set up with and refuses another with a clear message', async () => {
    const u = new URL(inject('databaseUrl'));
    u.pathname = `${u.pathname}_keycheck`;
    await ensureDatabase(u.toString());
    const db = createDb(u.toString());
    try {
      await migrateLatest(db);
      const key = randomBytes(32).toString('base64');
      await checkEncryptionKey(db, new SecretBox(key));
      await expect(checkEncryptionKey(db, new SecretBox(key))).resolves.toBeUndefined();
      await expect(checkEncryptionKey(db, new SecretBox(randomBytes(32).toString('base64')))).rejects.toThrow(/HOOKFLOW_ENCRYPTION_KEY does not match/);
    } finally {
      await db.destroy();
      const admin = new URL(u.toString());
      admin.pathname = '/postgres';
      const a = createDb(admin.toString());
      await a.raw(`DROP DATABASE IF EXISTS "${u.pathname.slice(1)}" WITH (FORCE)`);
      await a.destroy();
    }
  });
});
