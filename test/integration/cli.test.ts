import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { findApiKey, SCOPES } from '../../src/db/repositories/api-keys';
import { createDb } from '../../src/db/knex';
import { newId } from '../../src/domain/ids';

const root = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);
const hookflow = (args: string[], env: Record<string, string> = {}) =>
  run(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: inject('databaseUrl'), ...env },
  });

describe('hookflow CLI', () => {
  it('migrate reports an up-to-date schema', async () => {
    expect((await hookflow(['migrate'])).stdout).toMatch(/already up to date/);
  });

  it('keys create prints a working key once and stores only its hash', async () => {
    const ws = newId('ws');
    const { stdout, stderr } = await hookflow(['keys', 'create', '--workspace', ws, '--scopes', 'webhooks:read']);
    const key = stdout.trim();
    expect(key).toMatch(/^hf_/);
    expect(stderr).toMatch(/not shown again/);
    const db = createDb(inject('databaseUrl'));
    try {
      const row = await findApiKey(db, key);
      expect(row).toMatchObject({ workspace_id: ws, scopes: ['webhooks:read'] });
      expect(JSON.stringify(row)).not.toContain(key);
    } finally {
      await db.destroy();
    }
  });

  it('keys create --admin gives every scope, and an unknown flag is refused without a stack trace', async () => {
    const ws = newId('ws');
    const key = (await hookflow(['keys', 'create', '--admin', '--workspace', ws])).stdout.trim();
    const db = createDb(inject('databaseUrl'));
    try {
      expect((await findApiKey(db, key))?.scopes).toEqual([...SCOPES]);
    } finally {
      await db.destroy();
    }
    const err = await hookflow(['keys', 'create', '--workspace', ws, '--verbose']).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/Unknown option '--verbose'/);
    expect(err.stderr).not.toMatch(/at \w+ \(/);
  });

  it('seed-event-types loads a seed system’s event list once', async () => {
    const ws = newId('ws');
    expect((await hookflow(['seed-event-types', '--profile', 'productive', '--workspace', ws])).stdout).toMatch(/33 event types added/);
    expect((await hookflow(['seed-event-types', '--profile', 'productive', '--workspace', ws])).stdout).toMatch(/0 event types added/);
    expect((await hookflow(['seed-event-types', '--profile', 'gitproductivity', '--workspace', ws])).stdout).toMatch(/6 event types added/);
  });

  it('workspaces set-weight sets the fairness weight its deliveries carry, within Temporal’s range', async () => {
    const ws = newId('ws');
    await hookflow(['keys', 'create', '--workspace', ws]);
    expect((await hookflow(['workspaces', 'set-weight', '--workspace', ws, '--weight', '3'])).stdout).toMatch(/fairness weight 3/);
    const db = createDb(inject('databaseUrl'));
    try {
      expect(await db('workspaces').where({ id: ws }).first('fairness_weight')).toEqual({ fairness_weight: 3 });
    } finally {
      await db.destroy();
    }
    for (const bad of [
      ['--weight', '0'],
      ['--weight', 'lots'],
    ]) {
      const err = await hookflow(['workspaces', 'set-weight', '--workspace', ws, ...bad]).catch((e) => e);
      expect(err.stderr).toMatch(/--weight must be a number from 0.001 to 1000/);
    }
    const missing = await hookflow(['workspaces', 'set-weight', '--workspace', 'ws_nope', '--weight', '2']).catch((e) => e);
    expect(missing.stderr).toMatch(/no workspace ws_nope/);
  });

  it('a bad configuration stops with a message naming the variable', async () => {
    const err = await hookflow(['migrate'], { PORT: 'abc' }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/PORT/);
    expect(err.stderr).not.toMatch(/at \w+ \(/);
  });
});
