/**
 * A small verifying webhook receiver (`hookflow receiver …`): answers 200 `{"verified":true}` when
 * a request's signature checks out and 401 `{"verified":false,"reason":…}` otherwise, logging one
 * line per request.
 *
 * The verification here is written independently of `src/signing` on purpose, following
 * docs/verifying.md, so that it checks the signer instead of repeating it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
// Header names and profiles are shared data; the verification below is this file's own.
import { DEFAULT_SIGNATURE_HEADERS, PROFILES, type SignatureScheme } from './domain/profiles';

export type ReceiverScheme = SignatureScheme;
export const RECEIVER_SCHEMES: readonly ReceiverScheme[] = ['standard', 'productive', 'sha256', 'hex'];

export interface ReceiverOptions {
  port: number;
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  scheme: ReceiverScheme;
  secret: string;
  /** Signature header for `productive`, `sha256` and `hex` (ignored by `standard`). */
  header?: string;
  /** Accepted clock difference for signed timestamps (`standard`, `productive`); 300 s by default. */
  toleranceS?: number;
  log?: (line: string) => void;
}

export const DEFAULT_TOLERANCE_S = 300;
/** Larger bodies are answered 413 unread. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

type Headers = http.IncomingHttpHeaders;

function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Constant-time comparison of two ASCII signatures; different lengths never match. */
function safeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

const hmac = (key: Buffer, ...parts: (string | Buffer)[]) => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h;
};

/** Standard Webhooks key: the bytes of the base64 after an optional `whsec_` prefix. */
export function standardSecretBytes(secret: string): Buffer {
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('a standard secret must be whsec_ followed by base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new Error('the standard secret decodes to no bytes');
  return key;
}

function checkTimestamp(raw: string, nowS: number, toleranceS: number): VerifyResult {
  if (!/^\d{1,12}$/.test(raw)) return { ok: false, reason: `malformed timestamp "${raw}"` };
  const diff = nowS - Number(raw);
  if (Math.abs(diff) > toleranceS) {
    return {
      ok: false,
      reason: `timestamp ${diff > 0 ? 'too old' : 'in the future'} (${Math.abs(diff)} s off, tolerance ${toleranceS} s)`,
    };
  }
  return { ok: true };
}

export interface VerifyInput {
  scheme: ReceiverScheme;
  secret: string;
  header?: string;
  toleranceS?: number;
  /** Unix seconds; defaults to the clock. */
  nowS?: number;
}

/** Checks one request's signature against the raw body bytes. */
export function verifyRequest(input: VerifyInput, headers: Headers, body: Buffer): VerifyResult {
  const tolerance = input.toleranceS ?? DEFAULT_TOLERANCE_S;
  const nowS = input.nowS ?? Math.floor(Date.now() / 1000);
  switch (input.scheme) {
    case 'standard': {
      const id = headerValue(headers, 'webhook-id');
      const ts = headerValue(headers, 'webhook-timestamp');
      const sig = headerValue(headers, 'webhook-signature');
      const missing = [!id && 'webhook-id', !ts && 'webhook-timestamp', !sig && 'webhook-signature'].filter(Boolean);
      if (missing.length) return { ok: false, reason: `missing header ${missing.join(', ')}` };
      const time = checkTimestamp(ts!, nowS, tolerance);
      if (!time.ok) return time;
      const expected = hmac(standardSecretBytes(input.secret), `${id}.${ts}.`, body).digest('base64');
      // Several space-separated `v1,<base64>` entries during a rotation: any one may match.
      for (const entry of sig!.split(' ')) {
        const comma = entry.indexOf(',');
        if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
        if (safeEqual(expected, entry.slice(comma + 1))) return { ok: true };
      }
      return { ok: false, reason: 'no matching v1 signature' };
    }
    case 'productive': {
      const name = input.header ?? DEFAULT_SIGNATURE_HEADERS.productive;
      const value = headerValue(headers, name);
      if (!value) return { ok: false, reason: `missing header ${name}` };
      let t: string | undefined;
      const sigs: string[] = [];
      for (const part of value.split(',')) {
        const p = part.trim();
        if (p.startsWith('t=')) t = p.slice(2);
        else if (p.startsWith('s=')) sigs.push(p.slice(2));
      }
      if (t === undefined) return { ok: false, reason: `no t= in ${name}` };
      if (sigs.length === 0) return { ok: false, reason: `no s= in ${name}` };
      const time = checkTimestamp(t, nowS, tolerance);
      if (!time.ok) return time;
      const expected = hmac(Buffer.from(input.secret, 'utf8'), `${t}.`, body).digest('hex');
      return sigs.some((s) => safeEqual(expected, s.toLowerCase())) ? { ok: true } : { ok: false, reason: 'no matching s= signature' };
    }
    case 'sha256':
    case 'hex': {
      const name = input.header ?? DEFAULT_SIGNATURE_HEADERS[input.scheme];
      // During a rotation the previous secret's signature arrives in `<header>-Previous`.
      const given = [headerValue(headers, name), headerValue(headers, `${name}-Previous`)].filter((v): v is string => !!v);
      if (given.length === 0) return { ok: false, reason: `missing header ${name}` };
      const hex = hmac(Buffer.from(input.secret, 'utf8'), body).digest('hex');
      const expected = input.scheme === 'sha256' ? `sha256=${hex}` : hex;
      return given.some((g) => safeEqual(expected, g.trim().toLowerCase()))
        ? { ok: true }
        : { ok: false, reason: `signature in ${name} does not match` };
    }
  }
}

/** Printable, bounded text for a log line (header values are attacker-controlled). */
function clean(v: string | undefined, max = 100): string {
  if (!v) return '-';
  const s = v.replace(/[^\x21-\x7e]/g, '?');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The event type of a JSON (or form-encoded `payload=<json>`) body, if there is one. */
function eventType(contentType: string | undefined, body: Buffer): string | undefined {
  try {
    let text = body.toString('utf8');
    if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      if (payload === null) return undefined;
      text = payload;
    }
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      const t = o.type ?? o.event;
      return typeof t === 'string' ? t : undefined;
    }
  } catch {
    /* not JSON */
  }
  return undefined;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts the receiver; `port: 0` picks a free port (see the returned url). */
export async function runReceiver(opts: ReceiverOptions): Promise<{ url: string; close(): Promise<void> }> {
  if (!RECEIVER_SCHEMES.includes(opts.scheme)) throw new Error(`unknown scheme "${String(opts.scheme)}"`);
  if (!opts.secret) throw new Error('a secret is required');
  if (opts.scheme === 'standard') standardSecretBytes(opts.secret); // fail at start, not per request
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const verify: VerifyInput = { scheme: opts.scheme, secret: opts.secret, header: opts.header, toleranceS: opts.toleranceS };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const reply = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const id = headerValue(req.headers, 'webhook-id') ?? headerValue(req.headers, 'x-webhook-id');
      const prefix = `${req.method} ${clean(req.url, 200)} id=${clean(id)}`;
      if (tooLarge) {
        log(`${prefix} rejected: body over ${MAX_BODY_BYTES} bytes`);
        return reply(413, { verified: false, reason: 'body too large' });
      }
      const body = Buffer.concat(chunks);
      let result: VerifyResult;
      try {
        result = verifyRequest(verify, req.headers, body);
      } catch (err) {
        result = { ok: false, reason: (err as Error).message };
      }
      const type = eventType(headerValue(req.headers, 'content-type'), body);
      const typePart = type ? ` type=${clean(type)}` : '';
      if (result.ok) {
        log(`${prefix} verified${typePart}`);
        reply(200, { verified: true });
      } else {
        log(`${prefix} rejected: ${result.reason}${typePart}`);
        reply(401, { verified: false, reason: result.reason });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${displayHost(host)}:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export const RECEIVER_USAGE = `hookflow receiver --secret <secret> [--scheme standard|productive|sha256|hex | --profile <name>]
                  [--port 4000] [--host 127.0.0.1] [--header <name>] [--tolerance <seconds>]

  Listens for webhooks and verifies each one: 200 {"verified":true} or 401 {"verified":false,"reason":...}.
  --scheme     standard (default), productive, sha256 or hex
  --profile    shorthand for a profile's scheme and header: standard, productive, gitproductivity, generic, basic
  --header     signature header (productive: Productive-Signature, sha256: X-Webhook-Signature, hex: X-Signature)
  --tolerance  accepted timestamp age for standard/productive, default ${DEFAULT_TOLERANCE_S}`;

const FLAGS = ['port', 'host', 'scheme', 'profile', 'secret', 'header', 'tolerance'] as const;
type Flag = `--${(typeof FLAGS)[number]}`;

function usageError(message: string): Error {
  return new Error(`${message}\n\nusage: ${RECEIVER_USAGE}`);
}

/** node:util's parse errors in this command's words (the option or argument it is about). */
function parseError(err: { code?: string; message: string }): Error {
  const subject = /'([^' ]+)/.exec(err.message)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return usageError(`${subject} needs a value`);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return usageError(`unknown argument "${subject}"`);
  return usageError(err.message);
}

/** Parses `--port 4000 --host 127.0.0.1 --scheme standard --secret whsec_… --header X-…` (also `--flag=value`). */
export function parseReceiverArgs(argv: string[]): Omit<ReceiverOptions, 'log'> {
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args: argv,
      strict: true,
      tokens: true,
      options: Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }])),
    }));
  } catch (err) {
    throw parseError(err as Error & { code?: string });
  }
  const seen = new Map<Flag, string>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const name = t.rawName as Flag;
    if (!t.value) throw usageError(`${name} needs a value`);
    if (seen.has(name)) throw usageError(`${name} given twice`);
    seen.set(name, t.value);
  }

  const secret = seen.get('--secret');
  if (!secret) throw usageError('--secret is required');

  let scheme: ReceiverScheme = 'standard';
  let header: string | undefined;
  const profile = seen.get('--profile');
  if (profile !== undefined) {
    const p = Object.hasOwn(PROFILES, profile) ? PROFILES[profile as keyof typeof PROFILES] : undefined;
    if (!p) throw usageError(`unknown --profile "${profile}" (known: ${Object.keys(PROFILES).join(', ')})`);
    scheme = p.scheme;
    header = p.signatureHeader ?? undefined;
  }
  const schemeArg = seen.get('--scheme');
  if (schemeArg !== undefined) {
    if (!RECEIVER_SCHEMES.includes(schemeArg as ReceiverScheme))
      throw usageError(`unknown --scheme "${schemeArg}" (known: ${RECEIVER_SCHEMES.join(', ')})`);
    if (profile !== undefined && schemeArg !== scheme) throw usageError(`--profile ${profile} uses scheme ${scheme}, not ${schemeArg}`);
    scheme = schemeArg as ReceiverScheme;
  }
  const headerArg = seen.get('--header');
  if (headerArg !== undefined) {
    if (scheme === 'standard')
      throw usageError('--header does not apply to the standard scheme (it uses webhook-id, webhook-timestamp, webhook-signature)');
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(headerArg)) throw usageError(`--header "${headerArg}" is not a valid header name`);
    header = headerArg;
  }
  if (scheme === 'standard') {
    try {
      standardSecretBytes(secret);
    } catch (err) {
      throw usageError(`--secret: ${(err as Error).message}`);
    }
  }

  const portArg = seen.get('--port') ?? '4000';
  if (!/^\d{1,5}$/.test(portArg) || Number(portArg) > 65535) throw usageError(`--port "${portArg}" is not a port number (0-65535)`);

  const out: Omit<ReceiverOptions, 'log'> = { port: Number(portArg), host: seen.get('--host') ?? '127.0.0.1', scheme, secret };
  if (header) out.header = header;
  const tol = seen.get('--tolerance');
  if (tol !== undefined) {
    if (!/^\d{1,9}$/.test(tol) || Number(tol) < 1) throw usageError(`--tolerance "${tol}" is not a positive number of seconds`);
    out.toleranceS = Number(tol);
  }
  return out;
}
