import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/db/repositories/api-keys';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';

const root = path.resolve(__dirname, '..', '..');
const stack = useStack();
const section = (() => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  return readme.slice(readme.indexOf('## Tenants and the webhook portal'), readme.indexOf('## Profiles, retries, notifications'));
})();
const [producer, saas] = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

/** Runs a README block as an ES module under tsx, with the client imported from this repo. */
async function runBlock(code: string, env: Record<string, string>): Promise<string> {
  const file = path.join(os.tmpdir(), `readme-${randomBytes(4).toString('hex')}.mts`);
  fs.writeFileSync(file, code.replace("'@hookflow/client'", JSON.stringify(path.join(root, 'clients', 'typescript', 'src', 'index.ts'))));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
    });
    return stdout.trim();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describe('README: the typed client', () => {
  it('the five-line producer publishes an event', async () => {
    expect(producer.trim().split('\n')).toHaveLength(5);
    const { key } = await givenWorkspace(stack.db);
    const receiver = await givenReceiver();
    await api(stack.url, key).post('/v1/webhooks', { url: receiver.url, events: ['task.*'] });
    expect(await runBlock(producer, { HOOKFLOW_URL: stack.url, HOOKFLOW_API_KEY: key })).toMatch(/^published evt_\w+ to 1 webhooks$/);
    expect(JSON.parse((await receiver.waitFor(1))[0].body).data).toEqual({ id: 'task_1', name: 'Design homepage' });
    await receiver.close();
  });

  it('the SaaS backend’s three calls create a customer, publish for it and return a working portal link', async () => {
    const { key } = await givenWorkspace(stack.db, [...SCOPES]);
    // The block's uid, made unique so the test can run again on the same database.
    const uid = `acme-${randomBytes(4).toString('hex')}`;
    const url = await runBlock(saas.replaceAll("'acme'", `'${uid}'`), { HOOKFLOW_URL: stack.url, HOOKFLOW_API_KEY: key });
    const token = /\/portal\/#token=(hfp_[\w-]+)$/.exec(url)![1];
    const customer = api(stack.url, key, { 'hookflow-workspace': uid });
    expect((await customer.get('/v1/workspace')).body).toMatchObject({ uid, name: 'Acme Inc.' });
    const asPortal = (await api(stack.url, token).get('/v1/workspace')).body;
    expect(asPortal).toMatchObject({ uid });
    const published = await stack.db('events').where({ workspace_id: asPortal.id, type: 'task.created' });
    expect(published).toHaveLength(1);
  });
});
