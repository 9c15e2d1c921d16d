import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';

const stack = useStack();

describe('per-endpoint throttling (rate_limit_per_s)', () => {
  it('spaces 60 deliveries to an endpoint limited to 5/s (never 6 in a second, ≥ 11 s) without slowing another endpoint', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const limited = await givenReceiver();
    const free = await givenReceiver();
    const slow = (await c.post('/v1/webhooks', { url: limited.url, events: ['*'], rate_limit_per_s: 5 })).body;
    const fast = (await c.post('/v1/webhooks', { url: free.url, events: ['*'] })).body;
    const started = Date.now();
    // 60 events, each to both endpoints, published 10 at a time.
    const events: { id: string }[] = [];
    for (let batch = 0; batch < 6; batch++) {
      events.push(
        ...(
          await Promise.all(Array.from({ length: 10 }, (_, i) => c.post('/v1/events', { type: 'load.test', data: { n: batch * 10 + i } })))
        ).map((r) => r.body),
      );
    }
    const atFree = await free.waitFor(60, 120_000);
    const atLimited = await limited.waitFor(60, 180_000);

    // Every request is a real, signed delivery; none doubled.
    const verifier = new Webhook(slow.secret);
    for (const r of atLimited) verifier.verify(r.body, r.headers as Record<string, string>);
    expect(new Set(atLimited.map((r) => r.headers['webhook-id'])).size).toBe(60);

    const times = atLimited.map((r) => r.at).sort((a, b) => a - b);
    const windows = times.slice(5).map((t, i) => t - times[i]); // span of each 6 consecutive arrivals
    const span = times[59] - times[0];
    const freeTimes = atFree.map((r) => r.at).sort((a, b) => a - b);
    console.log(
      `throttle 5/s: 60 deliveries in ${span} ms at the receiver (first ${times[0] - started} ms after publishing began); ` +
        `tightest 6 consecutive arrivals ${Math.min(...windows)} ms apart (at most 5 in any second); ` +
        `unlimited endpoint: 60 in ${freeTimes[59] - freeTimes[0]} ms, last ${freeTimes[59] - started} ms after publishing began`,
    );
    expect(Math.min(...windows)).toBeGreaterThanOrEqual(1000);
    expect(span).toBeGreaterThanOrEqual(11_000);

    // The other endpoint never waited for a slot: its deliveries ran no throttle timer.
    for (const e of events.slice(0, 5)) {
      const history = await stack.client.workflow.getHandle(`delivery:${e.id}:${fast.id}`).fetchHistory();
      expect(history.events!.filter((ev) => ev.timerStartedEventAttributes)).toEqual([]);
    }
    // …while the limited one's later deliveries did, on durable timers (not in a blocked activity).
    const last = await stack.client.workflow.getHandle(`delivery:${events[59].id}:${slow.id}`).fetchHistory();
    expect(last.events!.filter((ev) => ev.timerStartedEventAttributes).length).toBeGreaterThanOrEqual(1);
    await Promise.all([limited.close(), free.close()]);
  }, 300_000);
});
