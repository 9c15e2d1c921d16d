import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/services/dispatcher';
import type { IngestHoldOptions } from '../../src/services/ingest-hold';
import { givenReceiver } from '../helpers/receiver';
import { api, givenApi, givenWorkspace, undispatchedEvents, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

const stack = useStack();

/**
 * Eight producers publish back to back (up to two seconds, 240 events) to an API whose
 * dispatcher has the given hold; returns how many events were published and how many were not
 * dispatched yet as the burst ended, once every delivery has arrived.
 */
async function burst(
  ingestHold: IngestHoldOptions | null,
  /** Runs once, a second into the burst (another workspace's publish). */
  meanwhile?: (server: { url: string }) => Promise<void>,
): Promise<{ published: number; held: number }> {
  const dispatcher = new Dispatcher(stack.deps.dispatch, { maxBacklog: 10_000, ingestHold });
  const server = await givenApi({ ...stack.deps, dispatcher });
  const ws = await givenWorkspace(stack.db);
  const receiver = await givenReceiver();
  const client = api(server.url, ws.key);
  const undispatched = () => undispatchedEvents(stack.db, ws.workspaceId);
  try {
    expect((await client.post('/v1/webhooks', { url: receiver.url, events: ['*'] })).status).toBe(201);
    let published = 0;
    const until = Date.now() + 2_000;
    const producers = Array.from({ length: 8 }, async (_, p) => {
      for (let i = 0; Date.now() < until && published < 240; i++) {
        expect((await client.post('/v1/events', { type: 'bulk.import', data: { p, i } })).status).toBe(202);
        published++;
      }
    });
    const other = meanwhile ? new Promise((r) => setTimeout(r, 1_000)).then(() => meanwhile(server)) : null;
    await Promise.all([...producers, other]);
    const held = await undispatched();
    // Once publishes stop, the hold ends and nothing is lost.
    await eventually(async () => (await undispatched()) === 0, 30_000, 'every event dispatched');
    await receiver.waitFor(published, 60_000);
    const seen = new Set(receiver.requests.map((r) => JSON.stringify(JSON.parse(r.body).data)));
    expect(seen.size).toBe(published);
    return { published, held };
  } finally {
    await dispatcher.stop();
    await server.close();
    await receiver.close();
  }
}

describe('ingest first', () => {
  it('holds starts while concurrent publishes keep arriving, then starts and delivers every one', { timeout: 180_000 }, async () => {
    // A quiet time long enough that this machine's pauses between flushes do not end the hold.
    const hold = await burst({ quietMs: 1_000, maxHoldMs: 10_000, minRunMs: 250 });
    const none = await burst(null);
    console.log(
      `not yet dispatched as the burst ended: ${hold.held} of ${hold.published} with the hold, ${none.held} of ${none.published} without`,
    );
    expect(hold.published).toBeGreaterThan(16);
    // Only the burst's first flush (before a second publish showed it was a burst) may go ahead.
    expect(hold.held).toBeGreaterThanOrEqual(hold.published - 8);
    // Without it the dispatcher starts events while the burst goes on (what the assertion above
    // would see if the hold did nothing).
    expect(none.published - none.held).toBeGreaterThan(8);
  });

  it("holds only the bursting workspace's starts: another workspace's event starts during the burst", { timeout: 180_000 }, async () => {
    const quiet = await givenWorkspace(stack.db);
    const quietReceiver = await givenReceiver();
    try {
      let deliveredDuring = false;
      const hold = await burst({ quietMs: 1_000, maxHoldMs: 10_000, minRunMs: 250 }, async (server) => {
        const client = api(server.url, quiet.key);
        expect((await client.post('/v1/webhooks', { url: quietReceiver.url, events: ['*'] })).status).toBe(201);
        expect((await client.post('/v1/events', { type: 'order.paid', data: { n: 1 } })).status).toBe(202);
        // Still inside the burst (it runs for two seconds): the quiet workspace's delivery arrives.
        deliveredDuring = await quietReceiver.waitFor(1, 800).then(
          () => true,
          () => false,
        );
      });
      console.log(`burst: ${hold.held} of ${hold.published} held; the other workspace's event delivered during it: ${deliveredDuring}`);
      expect(hold.held).toBeGreaterThanOrEqual(hold.published - 8);
      expect(deliveredDuring).toBe(true);
    } finally {
      await quietReceiver.close();
    }
  });
});
