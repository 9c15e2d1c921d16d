// The verifying receiver (src/receiver.ts) against Hookflow's signer (src/signing/sign.ts):
// two independent implementations of docs/verifying.md. Only talks to 127.0.0.1.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { sign } from '../../src/signing/sign';
import { parseReceiverArgs, runReceiver, type ReceiverOptions, type ReceiverScheme } from '../../src/receiver';

const NEW_STANDARD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD_STANDARD = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const NEW_PLAIN = 'new-secret-0123456789abcdef';
const OLD_PLAIN = 'whsec_old-generated-style-secret';

const secretsFor = (scheme: ReceiverScheme) =>
  scheme === 'standard' ? { cur: NEW_STANDARD, old: OLD_STANDARD } : { cur: NEW_PLAIN, old: OLD_PLAIN };
const now = () => Math.floor(Date.now() / 1000);

interface Running {
  url: string;
  lines: string[];
  close(): Promise<void>;
}

const running: Running[] = [];

async function start(opts: Omit<ReceiverOptions, 'port' | 'log'>): Promise<Running> {
  const lines: string[] = [];
  const r = await runReceiver({ port: 0, host: '127.0.0.1', log: (l) => lines.push(l), ...opts });
  const out = { url: r.url, lines, close: r.close };
  running.push(out);
  return out;
}

afterAll(async () => {
  await Promise.all(running.map((r) => r.close()));
});

async function post(url: string, body: string, headers: Record<string, string>, contentType = 'application/json') {
  expect(new URL(url).hostname).toBe('127.0.0.1');
  const res = await fetch(url + 'hook', { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
  return { status: res.status, json: (await res.json()) as { verified: boolean; reason?: string } };
}

const body = JSON.stringify({
  id: 'evt_01',
  type: 'task.created',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { name: 'café ✓ "quoted"' },
});

const cases: { scheme: ReceiverScheme; header: string | null }[] = [
  { scheme: 'standard', header: null },
  { scheme: 'productive', header: 'Productive-Signature' },
  { scheme: 'sha256', header: 'X-GitProductivity-Signature' },
  { scheme: 'sha256', header: 'X-Webhook-Signature' },
  { scheme: 'hex', header: 'X-Signature' },
];

describe.each(cases)('runReceiver, scheme $scheme header $header', ({ scheme, header }) => {
  const { cur, old } = secretsFor(scheme);
  let r: Running;
  const signed = (secrets: string[], b = body, timestamp = now()) => sign(scheme, { secrets, msgId: 'dlv_01', timestamp, body: b, header });

  beforeAll(async () => {
    r = await start({ scheme, secret: cur, header: header ?? undefined });
  });

  it('answers on the real port of port 0', () => {
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(r.url).not.toContain(':0/');
  });

  it('accepts a correctly signed body and logs it', async () => {
    const res = await post(r.url, body, signed([cur]));
    expect(res).toEqual({ status: 200, json: { verified: true } });
    const line = r.lines.at(-1)!;
    expect(line).toContain('POST /hook');
    expect(line).toContain('verified');
    expect(line).toContain('type=task.created');
    if (scheme === 'standard') expect(line).toContain('id=dlv_01');
  });

  it('rejects a tampered body', async () => {
    const res = await post(r.url, body.replace('café', 'cafe'), signed([cur]));
    expect(res.status).toBe(401);
    expect(res.json.verified).toBe(false);
    expect(res.json.reason).toBeTruthy();
    expect(r.lines.at(-1)).toContain('rejected');
  });

  it('rejects a signature made with another secret', async () => {
    const res = await post(r.url, body, signed([old]));
    expect(res.status).toBe(401);
  });

  it('rejects a request without signature headers', async () => {
    const res = await post(r.url, body, {});
    expect(res.status).toBe(401);
    expect(res.json.reason).toMatch(/missing header/);
  });

  it('rotation: [new, old] verifies on a receiver holding only the old secret, and on one holding the new', async () => {
    const oldOnly = await start({ scheme, secret: old, header: header ?? undefined });
    const headers = signed([cur, old]);
    expect((await post(oldOnly.url, body, headers)).status).toBe(200);
    expect((await post(r.url, body, headers)).status).toBe(200);
    const other = await start({
      scheme,
      secret: 'whsec_' + Buffer.from('neither of the two secrets').toString('base64'),
      header: header ?? undefined,
    });
    expect((await post(other.url, body, headers)).status).toBe(401);
  });

  it('verifies a form-encoded body (payload=<json>) over its raw bytes', async () => {
    const form = new URLSearchParams({ payload: body }).toString();
    const res = await post(r.url, form, signed([cur], form), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    expect(r.lines.at(-1)).toContain('type=task.created');
  });
});

describe('timestamps', () => {
  it.each(['standard', 'productive'] as const)(
    '%s: rejects a stale or future timestamp, accepts one within the tolerance',
    async (scheme) => {
      const { cur } = secretsFor(scheme);
      const r = await start({ scheme, secret: cur, header: scheme === 'productive' ? 'Productive-Signature' : undefined });
      const at = (ts: number) => sign(scheme, { secrets: [cur], msgId: 'dlv_02', timestamp: ts, body, header: null });
      const stale = await post(r.url, body, at(now() - 600));
      expect(stale.status).toBe(401);
      expect(stale.json.reason).toMatch(/timestamp too old/);
      expect((await post(r.url, body, at(now() + 600))).json.reason).toMatch(/timestamp in the future/);
      expect((await post(r.url, body, at(now() - 240))).status).toBe(200);
    },
  );

  it('honours toleranceS', async () => {
    const r = await start({ scheme: 'standard', secret: NEW_STANDARD, toleranceS: 30 });
    const headers = sign('standard', { secrets: [NEW_STANDARD], msgId: 'dlv_03', timestamp: now() - 60, body, header: null });
    expect((await post(r.url, body, headers)).status).toBe(401);
  });

  it('standard: a changed webhook-id does not verify', async () => {
    const r = await start({ scheme: 'standard', secret: NEW_STANDARD });
    const headers = sign('standard', { secrets: [NEW_STANDARD], msgId: 'dlv_04', timestamp: now(), body, header: null });
    expect((await post(r.url, body, { ...headers, 'webhook-id': 'dlv_05' })).status).toBe(401);
  });
});

describe('runReceiver start-up', () => {
  it('refuses a standard secret that is not base64', async () => {
    await expect(runReceiver({ port: 0, scheme: 'standard', secret: 'whsec_not base64!', log: () => {} })).rejects.toThrow(/base64/);
  });
});

describe('parseReceiverArgs', () => {
  const S = NEW_STANDARD;
  const ok: [string, string[], ReturnType<typeof parseReceiverArgs>][] = [
    ['defaults', ['--secret', S], { port: 4000, host: '127.0.0.1', scheme: 'standard', secret: S }],
    [
      'all flags',
      ['--port', '4100', '--host', '0.0.0.0', '--scheme', 'sha256', '--secret', 'abc', '--header', 'X-GitProductivity-Signature'],
      { port: 4100, host: '0.0.0.0', scheme: 'sha256', secret: 'abc', header: 'X-GitProductivity-Signature' },
    ],
    ['--flag=value', ['--scheme=hex', '--secret=a=b', '--port=0'], { port: 0, host: '127.0.0.1', scheme: 'hex', secret: 'a=b' }],
    ['tolerance', ['--secret', S, '--tolerance', '60'], { port: 4000, host: '127.0.0.1', scheme: 'standard', secret: S, toleranceS: 60 }],
    [
      'profile gitproductivity',
      ['--profile', 'gitproductivity', '--secret', 'x'],
      { port: 4000, host: '127.0.0.1', scheme: 'sha256', secret: 'x', header: 'X-GitProductivity-Signature' },
    ],
    [
      'profile basic',
      ['--profile', 'basic', '--secret', 'x'],
      { port: 4000, host: '127.0.0.1', scheme: 'hex', secret: 'x', header: 'X-Signature' },
    ],
    [
      'profile + header override',
      ['--profile', 'generic', '--header', 'X-Other', '--secret', 'x'],
      { port: 4000, host: '127.0.0.1', scheme: 'sha256', secret: 'x', header: 'X-Other' },
    ],
  ];
  it.each(ok)('%s', (_name, argv, expected) => {
    expect(parseReceiverArgs(argv)).toEqual(expected);
  });

  const bad: [string, string[], RegExp][] = [
    ['no secret', ['--scheme', 'hex'], /--secret is required/],
    ['empty argv', [], /--secret is required/],
    ['missing value at the end', ['--secret', 'x', '--scheme', 'hex', '--port'], /--port needs a value/],
    ['missing value before a flag', ['--secret', '--port', '4000'], /--secret needs a value/],
    ['empty value', ['--secret='], /--secret needs a value/],
    ['bad scheme', ['--scheme', 'md5', '--secret', 'x'], /unknown --scheme "md5"/],
    ['bad profile', ['--profile', 'github', '--secret', 'x'], /unknown --profile "github"/],
    ['profile/scheme conflict', ['--profile', 'basic', '--scheme', 'sha256', '--secret', 'x'], /uses scheme hex/],
    ['port not a number', ['--secret', S, '--port', 'abc'], /--port "abc"/],
    ['port too large', ['--secret', S, '--port', '70000'], /--port "70000"/],
    ['negative port', ['--secret', S, '--port', '-1'], /--port needs a value|--port "-1"/],
    ['unknown flag', ['--secret', S, '--verbose'], /unknown argument "--verbose"/],
    ['positional', ['receiver', '--secret', S], /unknown argument "receiver"/],
    ['duplicate', ['--secret', S, '--secret', S], /given twice/],
    ['header with standard', ['--secret', S, '--header', 'X-Signature'], /does not apply to the standard scheme/],
    ['bad header name', ['--scheme', 'hex', '--secret', 'x', '--header', 'X Sig'], /not a valid header name/],
    ['standard secret not base64', ['--secret', 'whsec_*not*base64*'], /--secret: .*base64/],
    ['bad tolerance', ['--secret', S, '--tolerance', '0'], /--tolerance "0"/],
  ];
  it.each(bad)('error: %s', (_name, argv, message) => {
    expect(() => parseReceiverArgs(argv)).toThrow(message);
    expect(() => parseReceiverArgs(argv)).toThrow(/usage: hookflow receiver/);
  });
});
