import { request, type Dispatcher } from 'undici';
import { version } from '../../package.json';
import { traceSend } from '../telemetry';
import { classifyError, type ErrorClass, type HttpResponse } from './outcome';

export const USER_AGENT = `Hookflow/${version} (+webhooks)`;
/** At most this much of a response body is read; the rest is discarded. */
export const MAX_READ_BYTES = 64 * 1024;

export interface SendRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type SendResult =
  | ({ kind: 'response'; durationMs: number } & HttpResponse)
  | { kind: 'error'; durationMs: number; errorClass: ErrorClass; message: string };

export type Sender = (req: SendRequest) => Promise<SendResult>;

/** Reads at most MAX_READ_BYTES of the body, then drops the connection's remainder. */
async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf.subarray(0, MAX_READ_BYTES - size));
    size += buf.length;
    if (size >= MAX_READ_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends one webhook request through `dispatcher` (the SSRF-guarded, keep-alive agent). Never
 * follows redirects; network failures come back as values with an error class.
 */
export function createSender(dispatcher: Dispatcher): Sender {
  return async (req) => {
    const started = performance.now();
    try {
      return await traceSend(
        req.method,
        req.url,
        (trace) => send(dispatcher, req, trace, started),
        (r) => (r.kind === 'response' ? r.statusCode : null),
      );
    } catch (err) {
      return failed(err, started);
    }
  };
}

async function send(dispatcher: Dispatcher, req: SendRequest, trace: Record<string, string>, started: number): Promise<SendResult> {
  try {
    const res = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: { 'user-agent': USER_AGENT, ...trace, ...req.headers },
      body: req.body,
      dispatcher,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const body = await readCapped(res.body).catch(() => '');
    return {
      kind: 'response',
      statusCode: res.statusCode,
      headers: res.headers,
      body,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    return failed(err, started);
  }
}

function failed(err: unknown, started: number): SendResult {
  return {
    kind: 'error',
    durationMs: Math.round(performance.now() - started),
    errorClass: classifyError(err),
    message: (err as Error)?.message?.slice(0, 500) ?? String(err),
  };
}
