// Only ever talks to 127.0.0.1: every "blocked" case must fail before a
// request reaches the local server, which counts what it receives.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { createGuardedAgent, createGuardedLookup, SsrfBlockedError } from '../../src/delivery/guarded-dispatcher';
import { parseCidrList } from '../../src/delivery/ssrf';

let server: http.Server;
let port = 0;
let hits = 0;
let connections = 0; // stricter than hits: blocked cases must not even open a TCP connection

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function ssrfError(err: unknown): SsrfBlockedError | undefined {
  for (let e = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e instanceof SsrfBlockedError) return e;
  }
  return undefined;
}

describe('guarded agent', () => {
  const blockedUrls: [string, string][] = [
    ['http://127.0.0.1:PORT/', 'loopback'],
    ['http://0.0.0.0:PORT/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]:PORT/', 'loopback'],
    ['http://2130706433:PORT/', 'loopback'],
    ['http://localhost:PORT/', 'loopback'], // goes through the guarded DNS lookup
  ];

  it.each(blockedUrls)('blocks %s with an empty allow-list', async (template, reason) => {
    const agent = createGuardedAgent({ allow: [] });
    try {
      const err = await request(template.replace('PORT', String(port)), { dispatcher: agent }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const blocked = ssrfError(err);
      expect(blocked, String(err)).toBeInstanceOf(SsrfBlockedError);
      expect(blocked?.reason).toBe(reason);
      expect(blocked?.code).toBe('ESSRFBLOCKED');
      expect(hits).toBe(0);
      expect(connections).toBe(0);
    } finally {
      await agent.close();
    }
  });

  it('connects when loopback is allow-listed', async () => {
    const agent = createGuardedAgent({ allow: parseCidrList('127.0.0.0/8') });
    try {
      const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('ok');
      expect(hits).toBe(1);
    } finally {
      await agent.close();
    }
  });
});

describe('guarded lookup', () => {
  const lookup = (allow: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) =>
      createGuardedLookup(parseCidrList(allow))('localhost', { all }, (err, address) => resolve({ err, address })),
    );

  it('rejects a name resolving to loopback (all=false and all=true)', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('', all);
      expect(err).toBeInstanceOf(SsrfBlockedError);
    }
  });

  it('returns the shape dns.lookup would when allowed', async () => {
    const one = await lookup('127.0.0.0/8, ::1', false);
    expect(one.err).toBeNull();
    expect(typeof one.address).toBe('string');
    const many = await lookup('127.0.0.0/8, ::1', true);
    expect(many.err).toBeNull();
    expect(Array.isArray(many.address)).toBe(true);
  });
});
