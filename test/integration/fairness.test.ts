import { describe, expect, it } from 'vitest';
import { undispatchedEvents, useStack } from '../helpers/stack';
import { givenBusyAndQuietWorkspaces } from '../helpers/two-workspaces';
import { eventually } from '../helpers/wait';

// Two delivery slots, so a backlog forms in the task queue at once; no pacing, so every start
// goes to Temporal at once and its fairness keys alone must order them.
const stack = useStack({ HOOKFLOW_WORKER_SLOTS: '2', HOOKFLOW_DISPATCH_AHEAD: '0' });

const undispatched = (workspaceId: string) => undispatchedEvents(stack.db, workspaceId);

describe('fairness across workspaces', () => {
  // A statistical property: Temporal's matcher blurs the order a little (task-queue partitions),
  // so one run in a few lands B late by chance; with fairness off it lands late every time
  // (26 of 40), so up to five tries still fail when fairness is broken (seen here: 23, 33, 9 of 60 in three tries).
  it("delivers a second workspace's event ahead of the first workspace's backlog", { retry: 4, timeout: 120_000 }, async () => {
    // A's receiver holds every answer: its first deliveries occupy both slots, the rest queue.
    const { a, b, receiverA, receiverB, ca, cb, close } = await givenBusyAndQuietWorkspaces(stack);
    try {
      const backlog = 60;
      for (let i = 0; i < backlog; i++) expect((await ca.post('/v1/events', { type: 'bulk.import', data: { i } })).status).toBe(202);
      // Every one of A's workflows is started (queued in Temporal) and both slots are busy.
      await eventually(async () => (await undispatched(a.workspaceId)) === 0, 30_000, "A's events dispatched");
      await receiverA.waitFor(2);

      expect((await cb.post('/v1/events', { type: 'task.created', data: {} })).status).toBe(202);
      await eventually(async () => (await undispatched(b.workspaceId)) === 0, 30_000, "B's event dispatched");
      receiverA.open();
      await receiverB.waitFor(1, 60_000);
      // First in, first out, B would arrive after all of A's backlog; by fairness key, Temporal
      // hands out the workspaces' tasks in turn, so B comes within the first few (measured: 2 of 40
      // with fairness on, 26 of 40 with it off; the task queue's partitions blur strict FIFO).
      const aBeforeB = receiverA.requests.filter((r) => r.at <= receiverB.requests[0].at).length;
      console.log(`B's delivery arrived after ${aBeforeB} of A's ${backlog}`);
      // Drain A first, so that a retry of this test starts on an empty queue.
      await receiverA.waitFor(backlog, 60_000);
      expect(aBeforeB).toBeLessThan(backlog / 4);
    } finally {
      await close();
    }
  });
});
