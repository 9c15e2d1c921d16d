import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  requests: Received[];
  /** Resolves when `n` requests have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** A receiver created with `{ gated: true }` holds every answer until `open()`. */
export interface Gate {
  open(): void;
}

type Reply = number | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

/**
 * A real HTTP receiver on 127.0.0.1. `replies` are used in order (the last one repeats);
 * `verify` may reject a request (the receiver then answers 401 and records the failure).
 */
export async function givenReceiver(
  opts: { replies?: Reply[]; verify?: (r: Received) => void; gated?: boolean } = {},
): Promise<Receiver & Gate & { verifyErrors: Error[] }> {
  const replies = opts.replies ?? [200];
  let held: (() => void)[] | null = opts.gated ? [] : null;
  const requests: Received[] = [];
  const verifyErrors: Error[] = [];
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      let reply = replies[Math.min(requests.length, replies.length - 1)];
      requests.push(r);
      try {
        opts.verify?.(r);
      } catch (err) {
        verifyErrors.push(err as Error);
        reply = 401;
      }
      const spec = typeof reply === 'number' ? { status: reply } : reply;
      const answer = () =>
        setTimeout(() => {
          res.writeHead(spec.status, spec.headers ?? {});
          res.end(spec.body ?? 'ok');
        }, spec.delayMs ?? 0);
      if (held) held.push(answer);
      else answer();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    verifyErrors,
    open() {
      const waiting = held ?? [];
      held = null;
      waiting.forEach((answer) => answer());
    },
    async waitFor(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`receiver got ${requests.length} requests, expected ${n} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return requests.slice(0, n);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
