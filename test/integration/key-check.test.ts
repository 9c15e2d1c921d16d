import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { migrateLatest } from '../../src/db/knex';
import { checkEncryptionKey } from '../../src/signing/key-check';
import { SecretBox } from '../../src/signing/secret-box';
import { withScratchDatabase } from '../helpers/scratch-db';

describe('encryption key check at start-up', () => {
  it('accepts the key the database was set up with and refuses another with a clear message', async () => {
    await withScratchDatabase('keycheck', async (db) => {
      await migrateLatest(db);
      const key = randomBytes(32).toString('base64');
      await checkEncryptionKey(db, new SecretBox(key));
      await expect(checkEncryptionKey(db, new SecretBox(key))).resolves.toBeUndefined();
      await expect(checkEncryptionKey(db, new SecretBox(randomBytes(32).toString('base64')))).rejects.toThrow(
        /HOOKFLOW_ENCRYPTION_KEY does not match/,
      );
    });
  });
});
