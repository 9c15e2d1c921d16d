import { exec, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/db/embedded';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

const root = path.resolve(__dirname, '..', '..');
const sh = promisify(exec);
const stack = useStack();

describe('README "Try it"', () => {
  it('runs every command of the section as written', async () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Try it'), readme.indexOf('## How it works'));
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    const [createCmd, receiverCmd, publishCmd, logCmd, testCmd, temporalCmd] = blocks;
    expect(blocks).toHaveLength(6);
    const { key } = await givenWorkspace(stack.db);
    const port = String(await freePort());
    const env: Record<string, string> = {
      PATH: `${path.join(root, '.tools', 'venv', 'bin')}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '/root',
      // What the section's first sentence exports in the reader's terminal.
      HOOKFLOW_URL: stack.url,
      KEY: key,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
    };
    const run = async (cmd: string) => (await sh(cmd.replaceAll('4000', port), { cwd: root, env })).stdout;

    // The command's own exports (jq) are what the later commands use.
    const [json, exported] = (await run(`${createCmd} && echo "$WEBHOOK_ID $SECRET"`)).trim().split('\n');
    const webhook = JSON.parse(json);
    expect(exported).toBe(`${webhook.id} ${webhook.secret}`);
    Object.assign(env, { WEBHOOK_ID: webhook.id, SECRET: webhook.secret });

    const receiver = spawn('bash', ['-c', `exec ${receiverCmd.replace(/&$/, '').replaceAll('4000', port)}`], { cwd: root, env });
    let log = '';
    receiver.stdout.on('data', (b) => (log += b));
    receiver.stderr.on('data', (b) => (log += b));
    try {
      await eventually(async () => log.includes('listening'), 30_000, 'the receiver');
      const event = JSON.parse(await run(publishCmd));
      expect(event.type).toBe('task.created');
      await eventually(async () => log.includes('verified'), 10_000, 'a verified delivery');
      expect(log).not.toMatch(/rejected/);
      const deliveries = await eventually(async () => {
        const l = JSON.parse(await run(logCmd));
        return l.data[0]?.status === 'success' ? l : null;
      });
      expect(deliveries.data[0]).toMatchObject({ event: 'task.created', response_code: 200 });
      expect(JSON.parse(await run(testCmd))).toMatchObject({ status: 'success', response_code: 200 });
      expect(await eventually(async () => (await run(temporalCmd)).match(/delivery:evt_\w+:wh_\w+/))).toBeTruthy();
      expect((await api(stack.url, key).get('/v1/webhooks')).body.data).toHaveLength(1);
    } finally {
      receiver.kill('SIGTERM');
    }
  }, 120_000);
});
