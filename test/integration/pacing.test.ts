import { describe, expect, it } from 'vitest';
import { undispatchedEvents, useStack } from '../helpers/stack';
import { givenBusyAndQuietWorkspaces } from '../helpers/two-workspaces';
import { eventually } from '../helpers/wait';

// Four delivery slots and the default pacing (8 starts ahead of the worker, at most its slots: 4).
const stack = useStack({ HOOKFLOW_WORKER_SLOTS: '4' });

const undispatched = (workspaceId: string) => undispatchedEvents(stack.db, workspaceId);

describe('dispatch pacing', () => {
  it("holds a workspace's burst in the dispatcher and starts another workspace's event in its turn", { timeout: 120_000 }, async () => {
    // A's receiver holds every answer: its first deliveries occupy the slots.
    const { a, b, receiverA, receiverB, ca, cb, close } = await givenBusyAndQuietWorkspaces(stack);
    try {
      const burst = 100;
      for (let i = 0; i < burst; i++) expect((await ca.post('/v1/events', { type: 'bulk.import', data: { i } })).status).toBe(202);
      await receiverA.waitFor(2, 30_000);

      // The slots busy: the worker picks nothing up, so most of A's burst stays in the dispatcher
      // (accepted, 202, stored) instead of being started into Temporal's queue. Without pacing
      // all of them are dispatched within a second or two (the fairness test's premise).
      await new Promise((r) => setTimeout(r, 3_000));
      const heldA = await undispatched(a.workspaceId);
      expect(heldA).toBeGreaterThan(burst / 2);

      // B's event is started in its turn of the round robin, not after A's burst: within one
      // expiry of the window (5 s), while most of A's is still held.
      const t0 = Date.now();
      expect((await cb.post('/v1/events', { type: 'task.created', data: {} })).status).toBe(202);
      await eventually(async () => (await undispatched(b.workspaceId)) === 0, 15_000, "B's event dispatched");
      const startedAfterMs = Date.now() - t0;
      const stillHeldA = await undispatched(a.workspaceId);
      console.log(`B's event dispatched ${startedAfterMs} ms after publish; A: ${heldA} held before, ${stillHeldA} after`);
      expect(stillHeldA).toBeGreaterThan(burst / 4);

      // Nothing is lost: once A's receiver answers, every delivery of both arrives, B's among the first.
      receiverA.open();
      await receiverB.waitFor(1, 60_000);
      await receiverA.waitFor(burst, 90_000);
      const aBeforeB = receiverA.requests.filter((r) => r.at <= receiverB.requests[0].at).length;
      console.log(`B's delivery arrived after ${aBeforeB} of A's ${burst}`);
      expect(aBeforeB).toBeLessThan(burst / 2);
      await eventually(async () => (await undispatched(a.workspaceId)) === 0, 30_000, "A's events all dispatched");
    } finally {
      await close();
    }
  });
});
