import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

// One trace from the producer's POST /v1/events to the receiver: HTTP server span, workflow
// start, workflow, attempt activities, outgoing request, and `traceparent` at the receiver.

const exporter = new InMemorySpanExporter();
const stack = useStack({}, { spanExporter: exporter });

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';

const parentOf = (s: ReadableSpan) => s.parentSpanId;

describe('tracing', () => {
  it("continues the producer's trace through the workflow to the receiver", async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const receiver = await givenReceiver({ replies: [500, 200] });
    await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1s'] } });
    const published = await c.post('/v1/events', { type: 'task.created', data: {} }, { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN}-01` });
    expect(published.status).toBe(202);
    const [first, second] = await receiver.waitFor(2);

    const names = [
      'POST /v1/events',
      'StartWorkflow:deliveryWorkflow',
      'RunWorkflow:deliveryWorkflow',
      'RunActivity:attemptDelivery',
      'POST',
    ];
    const spans = await eventually(
      async () => {
        const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
        const clients = all.filter((s) => s.name === 'POST');
        return names.every((n) => all.some((s) => s.name === n)) && clients.length === 2 ? all : null;
      },
      15_000,
      'the spans of the delivery',
    );
    const tree = spans.map((s) => `${s.name} ${s.spanContext().spanId} <- ${parentOf(s)}`).join('\n');
    const byName = (n: string) => spans.filter((s) => s.name === n);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const ancestors = (s: ReadableSpan) => {
      const names: string[] = [];
      for (let p = parentOf(s); p && byId.has(p); p = parentOf(byId.get(p)!)) names.push(byId.get(p)!.name);
      return names;
    };

    // The API's server span is a child of the producer's span.
    const [server] = byName('POST /v1/events');
    expect(parentOf(server), tree).toBe(PRODUCER_SPAN);
    expect(server.attributes['http.response.status_code']).toBe(202);
    // Each outgoing request descends from an attempt activity, the workflow, its start and the request.
    const clients = byName('POST');
    for (const client of clients) {
      expect(ancestors(client).slice(0, 1), tree).toEqual(['RunActivity:attemptDelivery']);
      expect(ancestors(client), tree).toEqual(
        expect.arrayContaining(['RunWorkflow:deliveryWorkflow', 'StartWorkflow:deliveryWorkflow', 'POST /v1/events']),
      );
    }
    expect(clients.map((s) => s.attributes['http.response.status_code'])).toEqual([500, 200]);
    // The receiver got the trace: its parent is the outgoing request's span.
    expect([first, second].map((r) => r.headers.traceparent)).toEqual(clients.map((s) => `00-${TRACE_ID}-${s.spanContext().spanId}-01`));
    await receiver.close();
  });
});
