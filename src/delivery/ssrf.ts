// SSRF policy for outgoing webhook requests: which destination addresses a
// customer-supplied URL may reach. Pure functions; the connect-time enforcement
// lives in guarded-dispatcher.ts.
import { isIPv4, isIPv6 } from 'node:net';
import * as ipaddr from 'ipaddr.js';

type IP = ipaddr.IPv4 | ipaddr.IPv6;

export type BlockReason =
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link_local'
  | 'metadata'
  | 'unique_local'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved'
  | 'benchmarking'
  | 'documentation'
  | 'invalid'; // not parseable as an IP: fail closed instead of throwing mid-connect

export interface Cidr {
  readonly addr: IP;
  readonly prefix: number;
  readonly text: string;
}

export type CheckUrlReason =
  BlockReason | 'url_too_long' | 'invalid_url' | 'unsupported_scheme' | 'credentials_in_url' | 'https_required' | 'invalid_host';

export const MAX_URL_LENGTH = 2048;

// ipaddr.js's range() names the IANA special-purpose ranges; this maps each name to a reason
// (null: globally routable). A name missing here (a newer ipaddr.js) fails closed as reserved.
const RANGE_REASONS: Record<string, BlockReason | null> = {
  unicast: null,
  as112: null,
  as112v6: null,
  amt: null, // public anycast services
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link_local',
  loopback: 'loopback',
  carrierGradeNat: 'cgnat',
  private: 'private',
  reserved: 'reserved',
  uniqueLocal: 'unique_local',
  deprecatedSiteLocal: 'private',
  benchmarking: 'benchmarking',
  discard: 'reserved',
  rfc6145: 'reserved',
  rfc6052: 'reserved', // only local-use NAT64 is left here
  deprecatedOrchid: 'reserved',
  orchid2: 'reserved',
  droneRemoteIdProtocolEntityTags: 'reserved',
  segmentRouting: 'reserved',
};

// Finer reasons than range() gives, for addresses inside its ranges; checked first.
const REFINED: [[IP, number], BlockReason][] = (
  [
    ['169.254.169.254/32', 'metadata'], // AWS/GCP/Azure/OpenStack instance metadata
    ['169.254.170.2/32', 'metadata'], // AWS ECS task metadata / credentials
    ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6
    ['192.0.2.0/24', 'documentation'],
    ['198.51.100.0/24', 'documentation'],
    ['203.0.113.0/24', 'documentation'],
    ['2001:db8::/32', 'documentation'],
    ['3fff::/20', 'documentation'],
    ['198.18.0.0/15', 'benchmarking'],
  ] as [string, BlockReason][]
).map(([c, r]) => [ipaddr.parseCIDR(c), r]);

const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
const V4_COMPATIBLE = ipaddr.parseCIDR('::/96'); // deprecated ::a.b.c.d
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

function v4FromWords(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/**
 * The IPv4 addresses an IPv6 address carries, which ipaddr.js only labels: the v4 decides,
 * otherwise e.g. ::ffff:127.0.0.1 or 2002:7f00:1:: would sneak loopback past a v6-only check.
 */
function embeddedV4(a: ipaddr.IPv6, range: string): ipaddr.IPv4[] {
  const p = a.parts;
  if (range === 'ipv4Mapped') return [a.toIPv4Address()];
  if (range === 'rfc6052' && a.match(NAT64_WELL_KNOWN)) return [v4FromWords(p[6], p[7])];
  if (range === '6to4') return [v4FromWords(p[1], p[2])];
  // Teredo: server v4 in bits 32-63, client v4 obfuscated (inverted) in bits 96-127.
  if (range === 'teredo') return [v4FromWords(p[2], p[3]), v4FromWords(p[6] ^ 0xffff, p[7] ^ 0xffff)];
  if (range === 'unicast' && a.match(V4_COMPATIBLE)) return [v4FromWords(p[6], p[7])];
  return [];
}

function classify(a: IP): BlockReason | null {
  for (const [cidr, reason] of REFINED) if (a.kind() === cidr[0].kind() && a.match(cidr)) return reason;
  const range = a.range();
  if (a.kind() === 'ipv6') {
    const v4 = embeddedV4(a as ipaddr.IPv6, range);
    if (v4.length) return v4.map(classify).find((r) => r !== null) ?? null;
    // Everything outside 2000::/3 is unassigned or special-purpose today.
    if (range === 'unicast' && !a.match(GLOBAL_UNICAST)) return 'reserved';
  }
  return Object.hasOwn(RANGE_REASONS, range) ? RANGE_REASONS[range] : 'reserved';
}

/**
 * A textual IP as DNS answers and sockets report it: dotted-quad or RFC 4291 IPv6, nothing
 * looser. IPv6 goes through the URL parser, which spells a dotted tail in hex: ipaddr.js would
 * read ::a.b.c.d as ::ffff:a.b.c.d.
 */
function parseIpLiteral(s: string, allowZone: boolean): IP | null {
  if (isIPv4(s)) return ipaddr.IPv4.parse(s);
  const zone = s.indexOf('%');
  if (zone >= 0 && !allowZone) return null;
  const bare = zone >= 0 ? s.slice(0, zone) : s;
  return isIPv6(bare) ? ipaddr.IPv6.parse(new URL(`http://[${bare}]/`).hostname.slice(1, -1)) : null;
}

function isAllowed(a: IP, allow: readonly Cidr[]): boolean {
  // A mapped address reaches the embedded v4 host, so it must match v4 CIDRs.
  const alt = a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : null;
  return allow.some(
    ({ addr, prefix }) =>
      (addr.kind() === a.kind() && a.match(addr, prefix)) || (alt !== null && addr.kind() === 'ipv4' && alt.match(addr, prefix)),
  );
}

export function classifyAddress(ip: string, allow: readonly Cidr[] = []): BlockReason | null {
  const a = parseIpLiteral(ip, true);
  if (!a) return 'invalid';
  return isAllowed(a, allow) ? null : classify(a);
}

export function parseCidrList(s: string): Cidr[] {
  return s
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((entry) => {
      const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
      // Only canonical literals here: "127.1/8" style shorthands in config are more likely typos
      // than intent, and a zone id has no place in a range.
      let addr = m ? parseIpLiteral(m[1], false) : null;
      if (!m || !addr) {
        throw new Error(`invalid CIDR "${entry}": expected an IPv4/IPv6 address with optional /prefix`);
      }
      const max = addr.kind() === 'ipv4' ? 32 : 128;
      let prefix = m[2] === undefined ? max : Number(m[2]);
      if (prefix > max) throw new Error(`invalid CIDR "${entry}": prefix must be 0..${max}`);
      // ::ffff:a.b.c.d/104 etc. describe v4 space; store as v4 so both forms match.
      if (max === 128 && prefix >= 96 && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
        addr = (addr as ipaddr.IPv6).toIPv4Address();
        prefix -= 96;
      }
      return { addr, prefix, text: entry };
    });
}

/**
 * A host as the WHATWG URL parser reads it, which is what undici dials: it decodes 0x7f.1,
 * 2130706433 and 0177.0.0.1 to 127.0.0.1, rejects 256.0.0.1, percent-decodes and lower-cases
 * names and canonicalises IPv6. A host whose last label is numeric is an IPv4 address or
 * invalid, never a DNS name.
 */
export function normalizeHost(hostname: string): { kind: 'ip'; ip: string } | { kind: 'name'; name: string } {
  const bad = (): Error => new Error(`invalid host "${hostname}"`);
  let url: URL;
  try {
    url = new URL(`http://${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}/`);
  } catch {
    throw bad();
  }
  // Only a host may have been given: no port, credentials, path, query or fragment sneaking in.
  if (url.host !== url.hostname || url.username || url.password || url.pathname !== '/' || url.search || url.hash) throw bad();
  const h = url.hostname;
  if (h.startsWith('[')) return { kind: 'ip', ip: h.slice(1, -1) };
  if (isIPv4(h)) return { kind: 'ip', ip: h };
  return { kind: 'name', name: h.endsWith('.') ? h.slice(0, -1) : h };
}

export function checkUrl(
  rawUrl: string,
  opts: { allow: readonly Cidr[]; requireHttps: boolean },
): { ok: true; url: URL } | { ok: false; reason: CheckUrlReason; detail: string } {
  const fail = (reason: CheckUrlReason, detail: string) => ({ ok: false as const, reason, detail });
  if (rawUrl.length > MAX_URL_LENGTH) return fail('url_too_long', `URL exceeds ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return fail('invalid_url', 'URL could not be parsed');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail('unsupported_scheme', `scheme ${url.protocol} is not allowed; use http or https`);
  }
  // Credentials in the URL would leak into logs and the delivery UI.
  if (url.username !== '' || url.password !== '') return fail('credentials_in_url', 'URL must not contain credentials');
  if (opts.requireHttps && url.protocol !== 'https:') return fail('https_required', 'only https URLs are allowed');
  let host: ReturnType<typeof normalizeHost>;
  try {
    host = normalizeHost(url.hostname);
  } catch (e) {
    return fail('invalid_host', (e as Error).message);
  }
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
