import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { benchSecret } from './signing';
import { nowMs } from './stats';

/**
 * Local webhook receivers on 127.0.0.1, one HTTP server per webhook, each with its own
 * `whsec_` secret. Every request is verified with the `standardwebhooks` package; a request
 * that fails verification is answered 401 and reported (the bench then fails).
 *
 * `ok` receivers answer 200, except that with a failure rate r > 0 the first attempt of a
 * delivery answers 500 when hash(webhook-id) < r (deterministic per delivery id); `fail`
 * receivers always answer 500 (the retry-timer phase).
 */
export type ReceiverKind = 'ok' | 'fail';

export interface ReceiverSpec {
  index: number;
  kind: ReceiverKind;
  url: string;
  secret: string;
}

export interface RequestInfo {
  receiver: ReceiverSpec;
  /** `data.run` and `data.seq` of the event, which identify the bench phase and the event. */
  phase: string;
  seq: number;
  /** The `webhook-id` header: the delivery id (the same on every attempt). */
  msgId: string;
  status: number;
  /** True for a second 2xx of the same delivery id (a duplicate delivery). */
  duplicate: boolean;
  at: number;
}

export interface ReceiverCounters {
  requests: number;
  delivered: number;
  injectedFailures: number;
  verificationFailures: number;
  duplicates: number;
  badBodies: number;
}

export interface Receivers {
  ok: ReceiverSpec[];
  fail: ReceiverSpec[];
  counters: ReceiverCounters;
  /** First verification failure messages (at most 5). */
  errors: string[];
  close(): Promise<void>;
}

export function hashFraction(id: string): number {
  return createHash('sha1').update(id).digest().readUInt32BE(0) / 2 ** 32;
}

export async function startReceivers(opts: {
  ok: number;
  fail: number;
  failureRate: number;
  onRequest: (r: RequestInfo) => void;
  onVerificationFailure: (message: string) => void;
}): Promise<Receivers> {
  const counters: ReceiverCounters = {
    requests: 0,
    delivered: 0,
    injectedFailures: 0,
    verificationFailures: 0,
    duplicates: 0,
    badBodies: 0,
  };
  const errors: string[] = [];
  const servers: http.Server[] = [];
  const make = async (index: number, kind: ReceiverKind): Promise<ReceiverSpec> => {
    const secret = benchSecret();
    const verifier = new Webhook(secret);
    const delivered = new Set<string>();
    const failedOnce = new Set<string>();
    const spec: ReceiverSpec = { index, kind, url: '', secret };
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = nowMs();
        counters.requests++;
        const body = Buffer.concat(chunks).toString('utf8');
        const h = req.headers;
        const msgId = String(h['webhook-id'] ?? '');
        try {
          verifier.verify(
            body,
            {
              'webhook-id': msgId,
              'webhook-timestamp': String(h['webhook-timestamp'] ?? ''),
              'webhook-signature': String(h['webhook-signature'] ?? ''),
            },
            { jsonParse: false },
          );
        } catch (err) {
          counters.verificationFailures++;
          const message = `receiver ${index} (${kind}): signature verification failed for webhook-id ${msgId}: ${(err as Error).message}`;
          if (errors.length < 5) errors.push(message);
          res.writeHead(401).end('bad signature');
          opts.onVerificationFailure(message);
          return;
        }
        let phase = '';
        let seq = -1;
        try {
          const env = JSON.parse(body) as { data?: { run?: unknown; seq?: unknown } };
          phase = String(env.data?.run ?? '');
          seq = Number(env.data?.seq);
        } catch {
          /* counted below */
        }
        if (!phase || !Number.isInteger(seq) || seq < 0) {
          counters.badBodies++;
          res.writeHead(400).end('not a bench event');
          opts.onVerificationFailure(`receiver ${index}: body without data.run/data.seq: ${body.slice(0, 200)}`);
          return;
        }
        let status = 200;
        if (kind === 'fail') status = 500;
        else if (opts.failureRate > 0 && !failedOnce.has(msgId) && !delivered.has(msgId) && hashFraction(msgId) < opts.failureRate) {
          failedOnce.add(msgId);
          counters.injectedFailures++;
          status = 500;
        }
        let duplicate = false;
        if (status === 200) {
          if (delivered.has(msgId)) {
            duplicate = true;
            counters.duplicates++;
          } else {
            delivered.add(msgId);
            counters.delivered++;
          }
        }
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'injected failure');
        opts.onRequest({ receiver: spec, phase, seq, msgId, status, duplicate, at });
      });
    });
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    spec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/${index}`;
    return spec;
  };
  const ok: ReceiverSpec[] = [];
  const fail: ReceiverSpec[] = [];
  for (let i = 0; i < opts.ok; i++) ok.push(await make(i, 'ok'));
  for (let i = 0; i < opts.fail; i++) fail.push(await make(opts.ok + i, 'fail'));
  return {
    ok,
    fail,
    counters,
    errors,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
