/**
 * A producer as the docs tell one to behave: every event carries its own Idempotency-Key and is
 * re-sent with the same key after a non-2xx answer or a connection error, until it is accepted
 * (202) or the deadline passes.
 */

export interface Published {
  seq: number;
  key: string;
  /** The accepted event's id (every re-send of the key must name the same event). */
  eventId: string | null;
  /** Distinct event ids answered for this key (more than one: idempotency broken). */
  eventIds: Set<string>;
  firstTryAt: number;
  acceptedAt: number | null;
  tries: number;
}

export interface PublishError {
  at: number;
  seq: number;
  /** HTTP status, or the connection error's code. */
  what: string;
}

export interface Producer {
  published: Published[];
  errors: PublishError[];
  /** Resolves when every event is accepted or the deadline has passed. */
  done: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startProducer(opts: {
  apiUrl: () => string;
  apiKey: string;
  events: number;
  /** Events started per second (open loop, spread evenly). */
  rate: number;
  /** Concurrent requests at most. */
  concurrency: number;
  /** How many events may have been started by now (the fault schedule paces the producer). */
  allowed: () => number;
  deadline: number;
  runId: string;
}): Producer {
  const published: Published[] = [];
  const errors: PublishError[] = [];
  let active = 0;

  const publishOne = async (p: Published) => {
    const body = JSON.stringify({ type: 'chaos.event', data: { seq: p.seq, run: opts.runId } });
    for (let backoff = 200; Date.now() < opts.deadline; backoff = Math.min(backoff * 2, 2000)) {
      p.tries++;
      let what: string;
      let retryAfterMs = 0;
      try {
        const res = await fetch(`${opts.apiUrl()}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json', 'idempotency-key': p.key },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (res.status === 202 || res.status === 200) {
          const id = (JSON.parse(text) as { id: string }).id;
          p.eventIds.add(id);
          p.eventId ??= id;
          p.acceptedAt = Date.now();
          return;
        }
        what = `HTTP ${res.status}`;
        retryAfterMs = Math.min(Number(res.headers.get('retry-after') ?? 0) * 1000, 5000);
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        what = e.cause?.code ?? e.name;
      }
      errors.push({ at: Date.now(), seq: p.seq, what });
      await sleep(Math.max(backoff, retryAfterMs));
    }
  };

  const done = (async () => {
    const start = Date.now();
    const running: Promise<void>[] = [];
    let last = start;
    for (let seq = 0; seq < opts.events && Date.now() < opts.deadline; seq++) {
      const due = last + 1000 / opts.rate;
      if (due > Date.now()) await sleep(due - Date.now());
      while (active >= opts.concurrency || seq >= opts.allowed()) await sleep(10);
      const p: Published = {
        seq,
        key: `${opts.runId}-${seq}`,
        eventId: null,
        eventIds: new Set(),
        firstTryAt: Date.now(),
        acceptedAt: null,
        tries: 0,
      };
      published.push(p);
      last = Date.now();
      active++;
      running.push(publishOne(p).finally(() => active--));
    }
    await Promise.all(running);
  })();
  return { published, errors, done };
}
