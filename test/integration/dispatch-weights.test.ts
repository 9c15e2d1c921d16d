import { describe, expect, it } from 'vitest';
import { undispatchedEvents, useStack } from '../helpers/stack';
import { givenTwoWorkspaces } from '../helpers/two-workspaces';
import { eventually } from '../helpers/wait';

// Two delivery slots, so the paced dispatcher is where a backlog waits and where the fairness
// weights have to count: with 2 starts ahead of the worker (the default for 2 slots), and with 8
// ahead and a per-workspace share of 2, which must not undo the weights: it applies only beside
// a light workspace (one with nothing waiting for its turn), and here both have a backlog.
describe.each<{ window: string; env: Record<string, string> }>([
  { window: '2 ahead', env: { HOOKFLOW_WORKER_SLOTS: '2' } },
  {
    window: '8 ahead, 2 per workspace',
    env: { HOOKFLOW_WORKER_SLOTS: '2', HOOKFLOW_DISPATCH_AHEAD: '8', HOOKFLOW_DISPATCH_AHEAD_SHARED: '2' },
  },
])('fairness weights in the dispatcher ($window)', ({ env }) => {
  const stack = useStack(env);

  it(
    'starts a weight-3 workspace three times as often as a weight-1 workspace while both have a backlog',
    { timeout: 120_000 },
    async () => {
      // Both receivers hold their answers until both backlogs are queued in the dispatcher.
      const two = await givenTwoWorkspaces(stack, { a: true, b: true });
      const { a: paid, b: free, receiverA: receiverPaid, receiverB: receiverFree, ca: cp, cb: cf } = two;
      try {
        await stack.db('workspaces').where({ id: paid.workspaceId }).update({ fairness_weight: 3 });
        const n = 40;
        for (let i = 0; i < n; i++) {
          expect((await cf.post('/v1/events', { type: 'task.created', data: { i } })).status).toBe(202);
          expect((await cp.post('/v1/events', { type: 'task.created', data: { i } })).status).toBe(202);
        }
        // Most of both are still queued in the dispatcher (the slots are held by the first ones).
        expect(await undispatchedEvents(stack.db, paid.workspaceId)).toBeGreaterThan(n / 2);
        expect(await undispatchedEvents(stack.db, free.workspaceId)).toBeGreaterThan(n / 2);

        receiverPaid.open();
        receiverFree.open();
        await receiverPaid.waitFor(n, 90_000);
        await receiverFree.waitFor(n, 90_000);

        // While both had a backlog (until the paid workspace's last delivery arrived), the paid one
        // got ~3 of every 4 deliveries; equal turns would give it ~1 of 2 (n of the first 2n).
        const lastPaid = receiverPaid.requests[n - 1].at;
        const freeMeanwhile = receiverFree.requests.filter((r) => r.at <= lastPaid).length;
        console.log(`while the weight-3 workspace got its ${n} deliveries, the weight-1 one got ${freeMeanwhile}`);
        expect(freeMeanwhile).toBeLessThan(n * 0.6);
        expect(freeMeanwhile).toBeGreaterThan(n / 6);
        await eventually(async () => (await undispatchedEvents(stack.db, free.workspaceId)) === 0, 30_000, 'all dispatched');
      } finally {
        await two.close();
      }
    },
  );
});
