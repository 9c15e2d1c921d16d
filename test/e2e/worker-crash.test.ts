import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startHookflow } from '../../src/runtime';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

// Issue 11 item 4: a worker that dies while a regular attempt activity has its request out.
// Without heartbeats Temporal only notices when the activity's 90 s start-to-close timeout
// expires; with them, after the 10 s heartbeat timeout.

const root = path.resolve(__dirname, '..', '..');
const stack = useStack({}, { roles: ['api'] });

/** `hookflow worker` as its own process on this stack's task queue, so it can be SIGKILLed. */
function spawnWorker() {
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: stack.config.TEMPORAL_TASK_QUEUE,
    HOOKFLOW_ENCRYPTION_KEY: inject('encryptionKey'),
    HOOKFLOW_DATA_DIR: stack.config.dataDir,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  return { child, stderr: () => stderr };
}

describe('a worker killed during an attempt', () => {
  it('retries the attempt on another worker after the heartbeat timeout, not the 90 s start-to-close timeout', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    // Attempt 1 fails; attempt 2 gets no answer (the worker dies meanwhile); its retry succeeds.
    const receiver = await givenReceiver({ replies: [500, { status: 200, delayMs: 60_000 }, 200] });
    expect((await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1s'] } })).status).toBe(201);
    const first = spawnWorker();
    const stopB: (() => Promise<void>)[] = [];
    try {
      const ev = (await c.post('/v1/events', { type: 'task.created', data: {} })).body;
      const deliveryId = ev.deliveries[0].id as string;
      await receiver.waitFor(2, 60_000).catch((err) => {
        throw new Error(`${err.message}; worker output:\n${first.stderr()}`);
      });
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      const second = await startHookflow(stack.config, ['worker']);
      stopB.push(() => second.stop());

      // Bounded below the 90 s start-to-close timeout: without heartbeats this wait fails.
      const [, , retry] = await receiver.waitFor(3, 45_000);
      console.log(`attempt 2 retried ${retry.at - killedAt} ms after the worker was killed`);
      expect(retry.headers['webhook-id']).toBe(receiver.requests[1].headers['webhook-id']);
      const d = await eventually(
        async () => {
          const r = (await c.get(`/v1/deliveries/${deliveryId}`)).body;
          return r.status === 'success' ? r : null;
        },
        15_000,
        'success',
      );
      // Two attempts recorded: the lost one was retried under its own number, not counted twice.
      expect(d.attempts).toBe(2);
      expect(d.attempt_log.map((a: { attempt_no: number; response_code: number }) => [a.attempt_no, a.response_code])).toEqual([
        [1, 500],
        [2, 200],
      ]);
      expect(receiver.requests).toHaveLength(3);
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      for (const stop of stopB) await stop();
      await receiver.close();
    }
  }, 120_000);
});
