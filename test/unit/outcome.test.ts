import { describe, it, expect } from 'vitest';
import { classifyError, classifyOutcome, type Classified, type ErrorClass } from '../../src/delivery/outcome';

describe('classifyOutcome', () => {
  const success: Classified = { ok: true, errorClass: null, gone: false, honourRetryAfter: false };
  const redirect: Classified = { ok: false, errorClass: 'redirect', gone: false, honourRetryAfter: false };
  const failure: Classified = { ok: false, errorClass: 'http_status', gone: false, honourRetryAfter: false };
  const table: [number, string, Classified][] = [
    [200, 'success', success],
    [201, 'success', success],
    [204, 'success', success],
    [299, 'success', success],
    [199, 'a failed status (1xx is not success)', failure],
    [300, 'a redirect failure (never followed)', redirect],
    [301, 'a redirect failure (never followed)', redirect],
    [302, 'a redirect failure (never followed)', redirect],
    [307, 'a redirect failure (never followed)', redirect],
    [399, 'a redirect failure (never followed)', redirect],
    [400, 'a failed status', failure],
    [404, 'a failed status', failure],
    [410, 'a failure that disables the webhook (gone)', { ...failure, gone: true }],
    [429, 'a failure whose Retry-After is honoured', { ...failure, honourRetryAfter: true }],
    [500, 'a failed status whose Retry-After is not honoured', failure],
    [502, 'a failed status', failure],
    [503, 'a failure whose Retry-After is honoured', { ...failure, honourRetryAfter: true }],
  ];
  it.each(table)('%i is %s', (status, _label, expected) => {
    expect(classifyOutcome(status)).toStrictEqual(expected);
  });
});

describe('classifyError', () => {
  const coded = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
  const named = (name: string) => Object.assign(new Error('The operation was aborted'), { name });
  // undici's fetch wraps the socket error: TypeError('fetch failed', { cause }).
  const wrapped = (code: string) => new TypeError('fetch failed', { cause: coded(code) });

  const table: [string, unknown, ErrorClass][] = [
    ['ECONNREFUSED', coded('ECONNREFUSED'), 'refused'],
    ['ENOTFOUND', coded('ENOTFOUND'), 'dns'],
    ['EAI_AGAIN', coded('EAI_AGAIN'), 'dns'],
    ['ECONNRESET', coded('ECONNRESET'), 'reset'],
    ['EPIPE', coded('EPIPE'), 'reset'],
    ['UND_ERR_CONNECT_TIMEOUT', coded('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', coded('UND_ERR_BODY_TIMEOUT'), 'timeout'],
    ['ETIMEDOUT', coded('ETIMEDOUT'), 'timeout'],
    ['an Error named AbortError', named('AbortError'), 'timeout'],
    ['an Error named TimeoutError', named('TimeoutError'), 'timeout'],
    ['a DOMException TimeoutError (AbortSignal.timeout)', new DOMException('signal timed out', 'TimeoutError'), 'timeout'],
    ['a DOMException AbortError', new DOMException('This operation was aborted', 'AbortError'), 'timeout'],
    ['ESSRFBLOCKED', coded('ESSRFBLOCKED'), 'ssrf_blocked'],
    ['CERT_HAS_EXPIRED', coded('CERT_HAS_EXPIRED'), 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls'],
    ['INVALID_CA', coded('INVALID_CA'), 'tls'],
    ['HOSTNAME_MISMATCH', coded('HOSTNAME_MISMATCH'), 'tls'],
    ['ECONNREFUSED on .cause', wrapped('ECONNREFUSED'), 'refused'],
    ['ENOTFOUND on .cause', wrapped('ENOTFOUND'), 'dns'],
    ['UND_ERR_CONNECT_TIMEOUT on .cause', wrapped('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    ['ESSRFBLOCKED on .cause', wrapped('ESSRFBLOCKED'), 'ssrf_blocked'],
    ['CERT_HAS_EXPIRED on .cause', wrapped('CERT_HAS_EXPIRED'), 'tls'],
    ['an unknown code (EHOSTUNREACH)', coded('EHOSTUNREACH'), 'network'],
    ['an Error without a code', new Error('boom'), 'network'],
    ['a thrown string', 'boom', 'network'],
    ['null', null, 'network'],
    ['undefined', undefined, 'network'],
  ];
  it.each(table)('%s → %s', (_label, err, expected) => {
    expect(classifyError(err)).toBe(expected);
  });
});
