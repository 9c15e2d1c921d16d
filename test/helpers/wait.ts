// Waits on positive signals. A test that asserts something did NOT happen first waits for
// something that proves the system had its chance (the workflow closed, a later event arrived),
// never for a fixed time.
import type { Client } from '@temporalio/client';
import type { api } from './stack';
import type { Received, Receiver } from './receiver';

/** Polls `fn` until it returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Resolves when the workflow's latest run has closed, with its status name and run id. Once
 * closed, it can run no further attempt; a later run under the same id would change `runId`.
 */
export async function workflowClosed(client: Client, workflowId: string): Promise<{ status: string; runId: string }> {
  const handle = client.workflow.getHandle(workflowId);
  // A failed or cancelled run rejects here; it is closed all the same.
  await handle.result().catch(() => undefined);
  const d = await handle.describe();
  return { status: d.status.name, runId: d.runId };
}

/**
 * Publishes a "sentinel" event of `type` and resolves with the request that delivered it to
 * `receiver`: proof that the pipeline ran past everything published before it.
 */
export async function sentinelDelivered(client: ReturnType<typeof api>, receiver: Receiver, type = 'sentinel.ping'): Promise<Received> {
  const published = await client.post('/v1/events', { type, data: { sentinel: true } });
  if (published.status !== 202) throw new Error(`sentinel publish answered ${published.status}: ${JSON.stringify(published.body)}`);
  const id: string = published.body.id;
  return eventually(async () => receiver.requests.find((r) => eventIdOf(r) === id), 15_000, `sentinel ${id} at the receiver`);
}

/** The event id in a delivered envelope (standard profile: `id`). */
export function eventIdOf(r: Received): string | undefined {
  try {
    return (JSON.parse(r.body) as { id?: string }).id;
  } catch {
    return undefined;
  }
}
