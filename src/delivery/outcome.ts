/** Error classes recorded per attempt, so the log says why an attempt failed. */
export type ErrorClass = 'http_status' | 'redirect' | 'timeout' | 'dns' | 'tls' | 'refused' | 'reset' | 'ssrf_blocked' | 'network';

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Classified {
  ok: boolean;
  errorClass: ErrorClass | null;
  /** 410 Gone: the receiver asks us to stop; the webhook is disabled at once. */
  gone: boolean;
  /** Whether a Retry-After header should be honoured (429 / 503). */
  honourRetryAfter: boolean;
}

/** 2xx is success; a redirect is a failure (never followed); 410 disables. */
export function classifyOutcome(statusCode: number): Classified {
  const ok = statusCode >= 200 && statusCode < 300;
  return {
    ok,
    errorClass: ok ? null : statusCode >= 300 && statusCode < 400 ? 'redirect' : 'http_status',
    gone: statusCode === 410,
    honourRetryAfter: statusCode === 429 || statusCode === 503,
  };
}

/** OpenSSL verification codes whose names do not say CERT/SSL/TLS. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

/** Maps a thrown network error onto an error class. */
export function classifyError(err: unknown): ErrorClass {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  if (code === 'ESSRFBLOCKED') return 'ssrf_blocked';
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError'
  )
    return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (/CERT|SSL|TLS/.test(code) || TLS_CODES.has(code)) return 'tls';
  return 'network';
}
