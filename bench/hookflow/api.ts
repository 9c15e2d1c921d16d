/** The bench's client of Hookflow's HTTP API, one per workspace (its own key). */
import { Agent, request } from 'undici';
import { payload, Rejected, type Publish } from '../phase';
import type { ReceiverSpec } from '../receivers';

/** Seconds or an HTTP date, in ms; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return 1000;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? 1000 : Math.max(0, at - now);
}

export class HookflowApi {
  readonly hookIds: string[] = [];
  /** Events accepted (202) per event type: each makes one delivery per subscribed webhook. */
  readonly accepted = new Map<string, number>();
  private readonly agent = new Agent({ keepAliveTimeout: 4000 });

  constructor(
    readonly url: string,
    private readonly key: string,
    private readonly payloadBytes: number,
  ) {}

  private async call(method: 'POST' | 'DELETE', path: string, body?: unknown) {
    const res = await request(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.agent,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** One `standard` webhook per receiver, with the receiver's secret. */
  async createHooks(specs: ReceiverSpec[], events: string[], retryPolicy: Record<string, unknown>, maxAttempts: number): Promise<string[]> {
    const ids: string[] = [];
    for (const r of specs) {
      const res = await this.call('POST', '/v1/webhooks', {
        url: r.url,
        events,
        name: `bench ${r.kind} ${r.index}`,
        profile: 'standard',
        secret: r.secret,
        retry_policy: retryPolicy,
        max_attempts: maxAttempts,
      });
      if (res.status !== 201) throw new Error(`POST /v1/webhooks: HTTP ${res.status} ${JSON.stringify(res.json)}`);
      ids.push(String(res.json.id));
    }
    this.hookIds.push(...ids);
    return ids;
  }

  /** `POST /v1/events` of one type; the 202 must list `perEvent` deliveries; 429/503 → Rejected. */
  publisher(type: string, perEvent: number): Publish {
    return async (phase, seq) => {
      const res = await this.call('POST', '/v1/events', { type, data: payload(this.payloadBytes, phase, seq) });
      if (res.status === 429 || res.status === 503) throw new Rejected(res.status, retryAfterMs(res.headers['retry-after']));
      if (res.status !== 202) throw new Error(`POST /v1/events: HTTP ${res.status} ${JSON.stringify(res.json)}`);
      const n = (res.json.deliveries as unknown[] | undefined)?.length;
      if (n !== perEvent) throw new Error(`POST /v1/events made ${n} deliveries, expected ${perEvent}`);
      this.accepted.set(type, (this.accepted.get(type) ?? 0) + 1);
    };
  }

  /** Leaves no active bench webhooks behind in a shared database. */
  async close(deleteHooks: boolean): Promise<void> {
    if (deleteHooks) for (const id of this.hookIds) await this.call('DELETE', `/v1/webhooks/${id}`).catch(() => {});
    await this.agent.close().catch(() => {});
  }
}
