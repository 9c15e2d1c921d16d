import { describe, it, expect } from 'vitest';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { sign, generateSecret } from '../../src/signing/sign';
import { buildEnvelope, encodeBody, type EnvelopeEvent } from '../../src/signing/envelope';
import { PROFILES, type Envelope } from '../../src/domain/profiles';

// Secrets are made here, not with our generateSecret, so the verifiers share nothing with src/.
const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;
const nowS = () => Math.floor(Date.now() / 1000);
const BODY = JSON.stringify({
  id: 'evt_1',
  type: 'task.created',
  timestamp: '2025-01-01T00:00:00.000Z',
  data: { name: 'Write tests', n: 1 },
});
const TAMPERED = BODY.replace('"n":1', '"n":2');

// ---------------------------------------------------------------------------------------------
// Verifiers written from the seeds / the Standard Webhooks libraries, not from src/.

type Headers = Record<string, string>;

const standardVerifiers: [string, (secret: string, body: string, h: Headers) => unknown][] = [
  // svix's own verifier is this library (it bundles standardwebhooks), so one is enough.
  ['standardwebhooks', (secret, body, h) => new StandardWebhook(secret).verify(body, h)],
];

/** Seed 000: `Productive-Signature: t=<unix s>,s=<hex HMAC(secret, t + "." + body)>`[,s=…]. */
function verifyProductive(header: string | undefined, body: string, secret: string, now = nowS()): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim());
  const t = parts.find((p) => p.startsWith('t='))?.slice(2);
  const sigs = parts.filter((p) => p.startsWith('s=')).map((p) => p.slice(2));
  if (!t || !/^\d+$/.test(t) || sigs.length === 0) return false;
  if (Math.abs(now - Number(t)) > 5 * 60) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return sigs.some((s) => {
    const got = Buffer.from(s);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** Seed 001's verifyWebhook, verbatim apart from types. */
function verifySha256(payload: string, signature: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(payload).digest('hex');
  return timingSafeEqual(Buffer.from(signature), Buffer.from(`sha256=${expected}`));
}

/** Seed 003 (PHP hash_hmac + hash_equals), in Node. */
function verifyHex(payload: string, signature: string | undefined, secret: string): boolean {
  if (signature === undefined) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(payload).digest('hex'));
  const got = Buffer.from(signature);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

// ---------------------------------------------------------------------------------------------

describe('sign: standard scheme (Standard Webhooks)', () => {
  const signStandard = (secrets: string[], body = BODY, timestamp = nowS()) =>
    sign('standard', { secrets, msgId: 'dlv_01jdtest', timestamp, body, header: null });

  it('sends webhook-id, webhook-timestamp and one v1 signature', () => {
    const ts = nowS();
    const h = signStandard([whsec()], BODY, ts);
    expect(Object.keys(h).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    expect(h['webhook-id']).toBe('dlv_01jdtest');
    expect(h['webhook-timestamp']).toBe(String(ts));
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it.each(standardVerifiers)('%s verifies the signature and returns the payload', (_name, verify) => {
    const secret = whsec();
    expect(verify(secret, BODY, signStandard([secret]))).toEqual(JSON.parse(BODY));
  });

  it.each(standardVerifiers)('%s verifies a secret made by generateSecret()', (_name, verify) => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(verify(secret, BODY, signStandard([secret]))).toEqual(JSON.parse(BODY));
  });

  it.each(standardVerifiers)('%s rejects a tampered body', (_name, verify) => {
    const secret = whsec();
    const h = signStandard([secret]);
    expect(() => verify(secret, TAMPERED, h)).toThrow(expect.objectContaining({ name: 'WebhookVerificationError' }));
    expect(() => verify(secret, TAMPERED, h)).toThrow(/no matching signature/i);
  });

  it.each(standardVerifiers)('%s rejects a signature made with another secret', (_name, verify) => {
    const h = signStandard([whsec()]);
    expect(() => verify(whsec(), BODY, h)).toThrow(/no matching signature/i);
  });

  it.each(standardVerifiers)('%s rejects a timestamp 10 minutes old', (_name, verify) => {
    const secret = whsec();
    const h = signStandard([secret], BODY, nowS() - 10 * 60);
    expect(() => verify(secret, BODY, h)).toThrow(/timestamp too old/i);
  });

  it.each(standardVerifiers)('%s rejects a changed webhook-id (the id is signed)', (_name, verify) => {
    const secret = whsec();
    const h = { ...signStandard([secret]), 'webhook-id': 'dlv_other' };
    expect(() => verify(secret, BODY, h)).toThrow(/no matching signature/i);
  });

  describe('rotation: secrets [new, old]', () => {
    const oldSecret = whsec();
    const newSecret = whsec();
    const h = signStandard([newSecret, oldSecret]);

    it('sends two space-separated v1 signatures', () => {
      expect(h['webhook-signature'].split(' ')).toHaveLength(2);
      for (const part of h['webhook-signature'].split(' ')) expect(part).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    });

    const cases = standardVerifiers.flatMap(([name, verify]) => [
      [name, 'only the old secret', oldSecret, verify] as const,
      [name, 'only the new secret', newSecret, verify] as const,
    ]);
    it.each(cases)('%s holding %s accepts the request', (_name, _holding, secret, verify) => {
      expect(verify(secret, BODY, h)).toEqual(JSON.parse(BODY));
    });

    it.each(standardVerifiers)('%s holding an unrelated secret still rejects it', (_name, verify) => {
      expect(() => verify(whsec(), BODY, h)).toThrow(/no matching signature/i);
    });
  });
});

describe('sign: productive scheme (seed 000)', () => {
  const header = PROFILES.productive.signatureHeader;
  const signProductive = (secrets: string[], timestamp = nowS(), body = BODY) =>
    sign('productive', { secrets, msgId: 'dlv_01jdtest', timestamp, body, header });

  it('uses the Productive-Signature header with t= then s=', () => {
    const ts = nowS();
    const h = signProductive(['s3cret'], ts);
    expect(Object.keys(h)).toEqual(['Productive-Signature']);
    expect(h['Productive-Signature']).toMatch(new RegExp(`^t=${ts},s=[0-9a-f]{64}$`));
  });

  it('falls back to the Productive-Signature header when the webhook has none stored', () => {
    const h = sign('productive', { secrets: ['s3cret'], msgId: 'dlv_1', timestamp: nowS(), body: BODY, header: null });
    expect(verifyProductive(h['Productive-Signature'], BODY, 's3cret')).toBe(true);
  });

  const secret = whsec();
  const table: [string, () => boolean, boolean][] = [
    ['a correct signature', () => verifyProductive(signProductive([secret])['Productive-Signature'], BODY, secret), true],
    [
      'a plain (non-whsec) secret',
      () => verifyProductive(signProductive(['plain-secret'])['Productive-Signature'], BODY, 'plain-secret'),
      true,
    ],
    ['a tampered body', () => verifyProductive(signProductive([secret])['Productive-Signature'], TAMPERED, secret), false],
    ['a wrong secret', () => verifyProductive(signProductive([secret])['Productive-Signature'], BODY, whsec()), false],
    [
      'a timestamp 10 minutes old',
      () => verifyProductive(signProductive([secret], nowS() - 600)['Productive-Signature'], BODY, secret),
      false,
    ],
    [
      'a signature moved to another timestamp',
      () => {
        const v = signProductive([secret])['Productive-Signature'].replace(/^t=(\d+)/, (_m, t) => `t=${Number(t) - 1}`);
        return verifyProductive(v, BODY, secret);
      },
      false,
    ],
  ];
  it.each(table)('the seed verifier on %s → %s', (_label, run, expected) => {
    expect(run()).toBe(expected);
  });

  describe('rotation: secrets [new, old]', () => {
    const oldSecret = whsec();
    const newSecret = whsec();
    const value = signProductive([newSecret, oldSecret])['Productive-Signature'];

    it('carries two s= entries after t=', () => {
      expect(value).toMatch(/^t=\d+,s=[0-9a-f]{64},s=[0-9a-f]{64}$/);
    });

    it.each([
      ['only the old secret', oldSecret, true],
      ['only the new secret', newSecret, true],
      ['an unrelated secret', whsec(), false],
    ])('a verifier holding %s → %s', (_label, s, expected) => {
      expect(verifyProductive(value, BODY, s)).toBe(expected);
    });

    it('a tampered body fails for both secrets', () => {
      expect(verifyProductive(value, TAMPERED, oldSecret)).toBe(false);
      expect(verifyProductive(value, TAMPERED, newSecret)).toBe(false);
    });
  });
});

describe('sign: sha256 scheme (seeds 001 and 002)', () => {
  const profiles = [
    ['gitproductivity', 'X-GitProductivity-Signature'],
    ['generic', 'X-Webhook-Signature'],
  ] as const;
  const signSha = (header: string, secrets: string[], body = BODY) =>
    sign('sha256', { secrets, msgId: 'dlv_1', timestamp: nowS(), body, header });

  it.each(profiles)('the %s profile signs with sha256 in %s', (name, header) => {
    expect(PROFILES[name].scheme).toBe('sha256');
    expect(PROFILES[name].signatureHeader).toBe(header);
  });

  it.each(profiles)('%s: sends only %s, as sha256=<hex>', (_name, header) => {
    const h = signSha(header, ['s3cret']);
    expect(Object.keys(h)).toEqual([header]);
    expect(h[header]).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  const cases = profiles.flatMap(([name, header]) => {
    const secret = whsec();
    return [
      [name, 'a correct signature', header, () => verifySha256(BODY, signSha(header, [secret])[header], secret), true],
      [name, 'a tampered body', header, () => verifySha256(TAMPERED, signSha(header, [secret])[header], secret), false],
      [name, 'a wrong secret', header, () => verifySha256(BODY, signSha(header, [secret])[header], whsec()), false],
    ] as const;
  });
  it.each(cases)('%s: the seed verifier on %s in %s → %s', (_name, _label, _header, run, expected) => {
    expect(run()).toBe(expected);
  });

  it.each(profiles)("%s: rotation puts the old secret's signature in %s-Previous", (_name, header) => {
    const oldSecret = whsec();
    const newSecret = whsec();
    const h = signSha(header, [newSecret, oldSecret]);
    expect(Object.keys(h).sort()).toEqual([header, `${header}-Previous`].sort());
    expect(verifySha256(BODY, h[header], newSecret)).toBe(true);
    expect(verifySha256(BODY, h[`${header}-Previous`], oldSecret)).toBe(true);
    expect(verifySha256(BODY, h[header], oldSecret)).toBe(false);
    expect(verifySha256(BODY, h[`${header}-Previous`], newSecret)).toBe(false);
  });

  it('defaults to X-Webhook-Signature when no header is stored', () => {
    const h = sign('sha256', { secrets: ['k'], msgId: 'dlv_1', timestamp: nowS(), body: BODY, header: null });
    expect(verifySha256(BODY, h['X-Webhook-Signature'], 'k')).toBe(true);
  });

  it('sends no signature header without a secret', () => {
    expect(signSha('X-Webhook-Signature', [])).toEqual({});
  });
});

describe('sign: hex scheme (seed 003)', () => {
  const header = PROFILES.basic.signatureHeader!;
  const signHex = (secrets: string[], body = BODY) => sign('hex', { secrets, msgId: 'dlv_1', timestamp: nowS(), body, header });

  it('the basic profile signs with hex in X-Signature', () => {
    expect(PROFILES.basic.scheme).toBe('hex');
    expect(header).toBe('X-Signature');
  });

  it('sends X-Signature as bare lowercase hex', () => {
    const h = signHex(['s3cret']);
    expect(Object.keys(h)).toEqual(['X-Signature']);
    expect(h['X-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  const secret = 'form-secret';
  it.each([
    ['a correct signature', () => verifyHex(BODY, signHex([secret])['X-Signature'], secret), true],
    ['a tampered body', () => verifyHex(TAMPERED, signHex([secret])['X-Signature'], secret), false],
    ['a wrong secret', () => verifyHex(BODY, signHex([secret])['X-Signature'], 'other-secret'), false],
  ] as const)('the seed verifier on %s → %s', (_label, run, expected) => {
    expect(run()).toBe(expected);
  });

  it('sends no header at all without a secret', () => {
    const h = signHex([]);
    expect(h).toEqual({});
    expect(verifyHex(BODY, h['X-Signature'], secret)).toBe(false);
  });

  it("rotation puts the old secret's signature in X-Signature-Previous", () => {
    const h = signHex(['new-secret', 'old-secret']);
    expect(verifyHex(BODY, h['X-Signature'], 'new-secret')).toBe(true);
    expect(verifyHex(BODY, h['X-Signature-Previous'], 'old-secret')).toBe(true);
    expect(verifyHex(BODY, h['X-Signature'], 'old-secret')).toBe(false);
  });
});

describe('buildEnvelope', () => {
  const event: EnvelopeEvent = {
    id: 'evt_01jdabc',
    type: 'task.created',
    createdAt: new Date('2025-01-02T03:04:05.678Z'),
    data: { name: 'Write tests', tags: ['a', 'b'] },
  };
  const ts = '2025-01-02T03:04:05.678Z';
  const table: [Envelope, Record<string, unknown>][] = [
    ['standard', { id: 'evt_01jdabc', type: 'task.created', timestamp: ts, data: event.data }],
    ['productive', { id: 'evt_01jdabc', type: 'task.created', timestamp: ts, data: event.data }],
    ['basic', { id: 'evt_01jdabc', type: 'task.created', timestamp: ts, data: event.data }],
    ['gitproductivity', { id: 'evt_01jdabc', type: 'task.created', created_at: ts, data: event.data }],
    ['generic', { event: 'task.created', timestamp: ts, webhook_id: 'wh_01jdxyz', data: event.data }],
  ];
  it.each(table)('the %s envelope has exactly the keys %j', (kind, expected) => {
    const env = buildEnvelope(kind, event, 'wh_01jdxyz');
    expect(Object.keys(env).sort()).toEqual(Object.keys(expected).sort());
    expect(env).toStrictEqual(expected);
  });

  it.each(Object.entries(PROFILES).map(([name, p]) => [name, p.envelope]))('the %s profile uses the %s envelope', (name, envelope) => {
    expect(envelope).toBe(name);
  });
});

describe('encodeBody', () => {
  const envelope = { id: 'evt_1', type: 'task.created', data: { note: 'a&b=c d+e ü 😀', n: 1 } };

  it('sends JSON unchanged for application/json', () => {
    const body = encodeBody('application/json', envelope);
    expect(body).toBe(JSON.stringify(envelope));
  });

  it('sends payload=<urlencoded json> for application/x-www-form-urlencoded', () => {
    const body = encodeBody('application/x-www-form-urlencoded', envelope);
    expect(body.startsWith('payload=')).toBe(true);
    expect(body).not.toContain('&b=');
    expect(body).not.toContain(' ');
    const params = new URLSearchParams(body);
    expect([...params.keys()]).toEqual(['payload']);
    expect(JSON.parse(params.get('payload')!)).toStrictEqual(envelope);
  });
});
