// Connect-time SSRF enforcement. checkUrl() runs when a URL is saved, but DNS
// can change afterwards (rebinding), so every connection re-checks the exact
// IPs it is about to dial.
import * as dns from 'node:dns';
import type { LookupFunction, Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { classifyAddress, normalizeHost, type BlockReason, type Cidr } from './ssrf';

export class SsrfBlockedError extends Error {
  readonly code = 'ESSRFBLOCKED';
  constructor(
    readonly reason: BlockReason,
    readonly address: string,
    hostname?: string,
  ) {
    super(`SSRF guard blocked ${hostname && hostname !== address ? `${hostname} (${address})` : address}: ${reason}`);
    this.name = 'SsrfBlockedError';
  }
}

function blocked(address: string, allow: readonly Cidr[], hostname?: string): SsrfBlockedError | null {
  const reason = classifyAddress(address, allow);
  return reason ? new SsrfBlockedError(reason, address, hostname) : null;
}

/**
 * dns.lookup replacement for net.connect/tls.connect. Always resolves every
 * address and refuses if ANY is blocked: with autoSelectFamily net may dial
 * any of them, and a mixed public/private answer is itself suspicious.
 */
export function createGuardedLookup(allow: readonly Cidr[]): LookupFunction {
  return (hostname, options, callback) => {
    const opts: dns.LookupOptions = typeof options === 'object' && options !== null ? options : {};
    dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, opts.all ? [] : '');
      if (addresses.length === 0) {
        const e: NodeJS.ErrnoException = Object.assign(new Error(`no addresses for ${hostname}`), { code: 'ENOTFOUND' });
        return callback(e, opts.all ? [] : '');
      }
      for (const { address } of addresses) {
        const e = blocked(address, allow, hostname);
        if (e) return callback(e, opts.all ? [] : '');
      }
      if (opts.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

export interface GuardedAgentOptions {
  allow: readonly Cidr[];
  connections?: number;
  keepAliveTimeout?: number;
  connectTimeout?: number;
}

export function createGuardedAgent(opts: GuardedAgentOptions): Agent {
  const { allow } = opts;
  const base = buildConnector({ lookup: createGuardedLookup(allow), timeout: opts.connectTimeout });
  const connect: buildConnector.connector = (options, callback) => {
    // Errors are delivered asynchronously, like a failed socket, so undici's
    // connect bookkeeping never re-enters itself.
    const fail = (e: Error): void => process.nextTick(() => callback(e, null));
    let host: ReturnType<typeof normalizeHost>;
    try {
      host = normalizeHost(options.hostname);
    } catch (e) {
      return fail(e as Error);
    }
    let dialOptions = options;
    if (host.kind === 'ip') {
      // net.connect skips `lookup` for IP literals, so they are checked here.
      const e = blocked(host.ip, allow, options.hostname);
      if (e) return fail(e);
      dialOptions = { ...options, hostname: host.ip }; // dial exactly what was checked
    }
    base(dialOptions, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('connect failed'), null);
      // Defence in depth: whatever path produced this socket, its peer must pass.
      const peer = (socket as Socket).remoteAddress;
      const e = peer === undefined ? new SsrfBlockedError('invalid', 'unknown', options.hostname) : blocked(peer, allow, options.hostname);
      if (e) {
        socket.destroy();
        return callback(e, null);
      }
      callback(null, socket);
    });
  };
  return new Agent({
    connect,
    connections: opts.connections,
    keepAliveTimeout: opts.keepAliveTimeout,
    // No redirect interceptor on purpose: a 3xx to an internal host must surface
    // as a 3xx to the caller, never be followed.
  });
}
