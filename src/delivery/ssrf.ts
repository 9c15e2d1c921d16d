// SSRF policy for outgoing webhook requests: which destination addresses a
// customer-supplied URL may reach. Pure functions; the connect-time enforcement
// lives in guarded-dispatcher.ts.
import { isIPv6 } from 'node:net';
import * as ipaddr from 'ipaddr.js';

type IP = ipaddr.IPv4 | ipaddr.IPv6;

export type BlockReason =
  | 'loopback' | 'private' | 'cgnat' | 'link_local' | 'metadata' | 'unique_local'
  | 'multicast' | 'unspecified' | 'broadcast' | 'reserved' | 'benchmarking'
  | 'documentation'
  | 'invalid'; // not parseable as an IP: fail closed instead of throwing mid-connect

export interface Cidr { readonly addr: IP; readonly prefix: number; readonly text: string }

export type CheckUrlReason =
  | BlockReason | 'url_too_long' | 'invalid_url' | 'unsupported_scheme'
  | 'credentials_in_url' | 'https_required' | 'invalid_host';

export const MAX_URL_LENGTH = 2048;

const table = (rows: [string, BlockReason][]): [[IP, number], BlockReason][] =>
  rows.map(([c, r]) => [ipaddr.parseCIDR(c), r]);

// IANA IPv4 special-purpose registry. Order matters: first match wins, so the
// narrow entries (metadata, broadcast) precede the ranges that contain them.
const V4_RANGES = table([
  ['0.0.0.0/8', 'unspecified'], ['10.0.0.0/8', 'private'], ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.169.254/32', 'metadata'], // AWS/GCP/Azure/OpenStack instance metadata
  ['169.254.170.2/32', 'metadata'], // AWS ECS task metadata / credentials
  ['169.254.0.0/16', 'link_local'], ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'], ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'], ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'], ['255.255.255.255/32', 'broadcast'], ['240.0.0.0/4', 'reserved'],
]);

// IPv6 ranges checked after the IPv4-embedding prefixes are unwrapped.
const V6_RANGES = table([
  ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6 (inside fc00::/7)
  ['fe80::/10', 'link_local'], ['fec0::/10', 'private'], // fec0: deprecated site-local
  ['fc00::/7', 'unique_local'], ['ff00::/8', 'multicast'],
  ['2001:db8::/32', 'documentation'], ['3fff::/20', 'documentation'],
  ['2001:2::/48', 'benchmarking'], ['2001:10::/28', 'reserved'], ['2001:20::/28', 'reserved'],
  ['64:ff9b:1::/48', 'reserved'], // local-use NAT64 may translate to anything internal
]);
const cidr6 = (c: string): [IP, number] => ipaddr.parseCIDR(c);
const [V6_UNSPEC, V6_LOOP, V6_COMPAT, V6_NAT64, V6_6TO4, V6_TEREDO, V6_GLOBAL_UNICAST] =
  ['::/128', '::1/128', '::/96', '64:ff9b::/96', '2002::/16', '2001::/32', '2000::/3'].map(cidr6);

function v4FromWords(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function classifyV4(a: ipaddr.IPv4): BlockReason | null {
  for (const [cidr, reason] of V4_RANGES) if (a.match(cidr)) return reason;
  return null;
}

function classifyV6(a: ipaddr.IPv6): BlockReason | null {
  const p = a.parts;
  // Prefixes that carry an IPv4 address: the v4 decides, otherwise e.g.
  // ::ffff:127.0.0.1 would sneak loopback past a v6-only check.
  if (a.isIPv4MappedAddress()) return classifyV4(a.toIPv4Address());
  if (a.match(V6_UNSPEC)) return 'unspecified';
  if (a.match(V6_LOOP)) return 'loopback';
  if (a.match(V6_COMPAT)) return classifyV4(v4FromWords(p[6], p[7])); // IPv4-compatible (deprecated)
  if (a.match(V6_NAT64)) return classifyV4(v4FromWords(p[6], p[7])); // NAT64 well-known
  if (a.match(V6_6TO4)) return classifyV4(v4FromWords(p[1], p[2])); // 6to4
  if (a.match(V6_TEREDO)) {
    // Teredo: server v4 in bits 32-63, client v4 obfuscated (inverted) in bits 96-127
    return classifyV4(v4FromWords(p[2], p[3])) ?? classifyV4(v4FromWords(p[6] ^ 0xffff, p[7] ^ 0xffff));
  }
  for (const [cidr, reason] of V6_RANGES) if (a.match(cidr)) return reason;
  // Everything outside 2000::/3 is unassigned or special-purpose today.
  return a.match(V6_GLOBAL_UNICAST) ? null : 'reserved';
}

function parseIp(ip: string): IP | null {
  try {
    const h = normalizeHost(ip);
    return h.kind === 'ip' ? ipaddr.parse(h.ip) : null;
  } catch {
    return null;
  }
}

function isAllowed(a: IP, allow: readonly Cidr[]): boolean {
  // A mapped address reaches the embedded v4 host, so it must match v4 CIDRs.
  const alt = a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()
    ? (a as ipaddr.IPv6).toIPv4Address() : null;
  return allow.some(({ addr, prefix }) =>
    (addr.kind() === a.kind() && a.match(addr, prefix)) ||
    (alt !== null && addr.kind() === 'ipv4' && alt.match(addr, prefix)));
}

export function classifyAddress(ip: string, allow: readonly Cidr[] = []): BlockReason | null {
  const a = parseIp(ip);
  if (!a) return 'invalid';
  if (isAllowed(a, allow)) return null;
  return a.kind() === 'ipv4' ? classifyV4(a as ipaddr.IPv4) : classifyV6(a as ipaddr.IPv6);
}

export function parseCidrList(s: string): Cidr[] {
  return s.split(',').map((e) => e.trim()).filter((e) => e !== '').map((entry) => {
    const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
    // Only canonical dotted-quad here: "127.1/8" style shorthands in config are
    // more likely typos than intent.
    const v4 = m !== null && ipaddr.IPv4.isValidFourPartDecimal(m[1]);
    const v6 = m !== null && !v4 && !m[1].includes('%') ? parseV6(m[1]) : null;
    if (!m || (!v4 && !v6)) {
      throw new Error(`invalid CIDR "${entry}": expected an IPv4/IPv6 address with optional /prefix`);
    }
    let addr: IP = v6 ?? ipaddr.IPv4.parse(m[1]);
    const max = v4 ? 32 : 128;
    let prefix = m[2] === undefined ? max : Number(m[2]);
    if (prefix > max) throw new Error(`invalid CIDR "${entry}": prefix must be 0..${max}`);
    // ::ffff:a.b.c.d/104 etc. describe v4 space; store as v4 so both forms match.
    if (!v4 && prefix >= 96 && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      prefix -= 96;
    }
    return { addr, prefix, text: entry };
  });
}

function parseV6(s: string): ipaddr.IPv6 | null {
  // node's validator is strict (no octal/hex in a dotted tail); ipaddr.js is not.
  if (!isIPv6(s)) return null;
  // ipaddr.js rewrites "::a.b.c.d" to "::ffff:a.b.c.d", so spell the tail as hex first.
  const hex = s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)(%.*)?$/, (_m, a: string, b: string, c: string, d: string, z?: string) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}${z ?? ''}`);
  return ipaddr.IPv6.parse(hex);
}

// WHATWG URL "IPv4 number": 0x.. hex, leading-0 octal, else decimal.
function parseV4Number(part: string): number | null {
  let radix = 10;
  let s = part;
  if (/^0x/i.test(s)) { radix = 16; s = s.slice(2); } else if (s.length > 1 && s[0] === '0') { radix = 8; s = s.slice(1); }
  if (s === '') return part === '' ? null : 0;
  const digits = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  return digits.test(s) ? parseInt(s, radix) : null;
}

export function normalizeHost(hostname: string): { kind: 'ip'; ip: string } | { kind: 'name'; name: string } {
  const h = hostname.toLowerCase();
  if (h.startsWith('[') || h.includes(':')) {
    const inner = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
    const a = parseV6(inner);
    if (!a) throw new Error(`invalid IPv6 host "${hostname}"`);
    return { kind: 'ip', ip: a.toString() };
  }
  const parts = h.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const last = parts[parts.length - 1];
  // Same rule as WHATWG/inet_aton: a host whose last label is numeric is an
  // IPv4 address or invalid - never a DNS name.
  if (!(/^[0-9]+$/.test(last) || parseV4Number(last) !== null)) {
    return { kind: 'name', name: parts.join('.') };
  }
  const nums = parts.map(parseV4Number);
  const bad = (): Error => new Error(`invalid IPv4 host "${hostname}"`);
  if (parts.length > 4 || nums.some((n) => n === null)) throw bad();
  const n = nums as number[];
  if (n.slice(0, -1).some((x) => x > 255) || n[n.length - 1] >= 256 ** (5 - n.length)) throw bad();
  let value = n[n.length - 1];
  n.slice(0, -1).forEach((x, i) => { value += x * 256 ** (3 - i); });
  return { kind: 'ip', ip: [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join('.') };
}

export function checkUrl(
  rawUrl: string,
  opts: { allow: readonly Cidr[]; requireHttps: boolean },
): { ok: true; url: URL } | { ok: false; reason: CheckUrlReason; detail: string } {
  const fail = (reason: CheckUrlReason, detail: string) => ({ ok: false as const, reason, detail });
  if (rawUrl.length > MAX_URL_LENGTH) return fail('url_too_long', `URL exceeds ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try { url = new URL(rawUrl); } catch { return fail('invalid_url', 'URL could not be parsed'); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail('unsupported_scheme', `scheme ${url.protocol} is not allowed; use http or https`);
  }
  // Credentials in the URL would leak into logs and the delivery UI.
  if (url.username !== '' || url.password !== '') return fail('credentials_in_url', 'URL must not contain credentials');
  if (opts.requireHttps && url.protocol !== 'https:') return fail('https_required', 'only https URLs are allowed');
  let host: ReturnType<typeof normalizeHost>;
  try { host = normalizeHost(url.hostname); } catch (e) { return fail('invalid_host', (e as Error).message); }
  if (host.kind === 'ip') {
    const reason = classifyAddress(host.ip, opts.allow);
    return reason ? fail(reason, `address ${host.ip} is not allowed (${reason})`) : { ok: true, url };
  }
  // RFC 6761: resolvers may answer *.localhost locally without DNS, so treat as loopback.
  if ((host.name === 'localhost' || host.name.endsWith('.localhost')) && classifyAddress('127.0.0.1', opts.allow) !== null) {
    return fail('loopback', `host ${host.name} is loopback`);
  }
  return { ok: true, url }; // DNS names are re-checked on every connect
}
