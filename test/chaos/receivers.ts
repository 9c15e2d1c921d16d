/**
 * The chaos run's webhook receivers on 127.0.0.1. Each verifies every request with the
 * `standardwebhooks` package (independently of Hookflow's signer) and records, per delivery id
 * (`webhook-id`), how many requests arrived and how many 2xx answers were written out in full.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** How a receiver answers: `ok` always 200; `flaky` a mix of failures; `recovering` 500 until told otherwise. */
export type Behaviour = 'ok' | 'flaky' | 'recovering';

/** What `flaky` does to a request, by share (the rest get 200). */
export const FLAKY_MIX = { status500: 0.15, timeout: 0.05, reset: 0.05, slowBody: 0.05 };

export interface DeliverySeen {
  requests: number;
  /** 2xx answers whose response was written out completely. */
  ok: number;
  firstAt: number;
}

export interface ChaosReceiver {
  name: string;
  behaviour: Behaviour;
  url: string;
  seen: Map<string, DeliverySeen>;
  signatureFailures: string[];
  /** How many requests got each treatment (`200`, `500`, `timeout`, `reset`, `slow`). */
  treatments: Record<string, number>;
  setSecret(secret: string): void;
  /** `recovering`: from now on answer 200. */
  recover(): void;
  close(): Promise<void>;
}

/**
 * `timeoutMs` is the webhook's timeout: a `timeout` request is held past it and then dropped
 * unanswered; a slow body is dribbled out well within it.
 */
export async function startReceiver(
  name: string,
  behaviour: Behaviour,
  opts: { timeoutMs: number; random: () => number },
): Promise<ChaosReceiver> {
  let verifier: Webhook | null = null;
  let recovered = behaviour !== 'recovering';
  const seen = new Map<string, DeliverySeen>();
  const signatureFailures: string[] = [];
  const treatments: Record<string, number> = {};
  const held = new Set<NodeJS.Timeout>();

  const treatment = (): string => {
    if (!recovered) return '500';
    if (behaviour !== 'flaky') return '200';
    let r = opts.random();
    for (const [kind, share] of Object.entries(FLAKY_MIX)) {
      if (r < share) return { status500: '500', timeout: 'timeout', reset: 'reset', slowBody: 'slow' }[kind]!;
      r -= share;
    }
    return '200';
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      try {
        if (!verifier) throw new Error('no secret yet');
        verifier.verify(body, req.headers as Record<string, string>);
      } catch (err) {
        signatureFailures.push(`${id}: ${(err as Error).message}`);
        res.writeHead(401).end();
        return;
      }
      const entry = seen.get(id) ?? { requests: 0, ok: 0, firstAt: Date.now() };
      entry.requests++;
      seen.set(id, entry);
      const t = treatment();
      treatments[t] = (treatments[t] ?? 0) + 1;
      const countOk = () => res.once('finish', () => entry.ok++);
      switch (t) {
        case '500':
          res.writeHead(500).end('flap');
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'timeout': {
          const timer = setTimeout(() => (held.delete(timer), req.socket.destroy()), opts.timeoutMs + 1500);
          held.add(timer);
          return;
        }
        case 'slow': {
          countOk();
          res.writeHead(200, { 'content-type': 'text/plain' });
          let left = 5;
          const drip = () => (left-- > 0 ? res.write('.', () => setTimeout(drip, opts.timeoutMs / 20)) : res.end());
          drip();
          return;
        }
        default:
          countOk();
          res.writeHead(200).end('ok');
      }
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    behaviour,
    url: `http://127.0.0.1:${port}/${name}`,
    seen,
    signatureFailures,
    treatments,
    setSecret: (secret) => void (verifier = new Webhook(secret)),
    recover: () => void (recovered = true),
    close: () =>
      new Promise<void>((resolve) => {
        held.forEach(clearTimeout);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
