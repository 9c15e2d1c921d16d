import { createHmac, randomBytes } from 'node:crypto';
import { DEFAULT_SIGNATURE_HEADERS, type SignatureScheme } from '../domain/profiles';

export interface SignInput {
  /** Current secret first, then a previous one still valid during rotation. */
  secrets: string[];
  /** Delivery id (the same on every attempt, so receivers can de-duplicate). */
  msgId: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  /** Exactly the bytes that are sent. */
  body: string;
  /** Signature header for `sha256` / `hex`. */
  header: string | null;
}

const hmacHex = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest('hex');

/** `whsec_<base64>` secrets sign with their decoded bytes (Standard Webhooks). */
export function standardKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Signature headers for one request. With two secrets (rotation), `standard` sends
 * space-separated `v1,` entries; `productive` appends a second `s=`; `sha256`/`hex` put the
 * signature made with the previous secret in `<header>-Previous`.
 */
export function sign(scheme: SignatureScheme, input: SignInput): Record<string, string> {
  const { secrets, msgId, timestamp, body } = input;
  switch (scheme) {
    case 'standard': {
      const content = `${msgId}.${timestamp}.${body}`;
      const sigs = secrets.map((s) => `v1,${createHmac('sha256', standardKey(s)).update(content).digest('base64')}`);
      return {
        'webhook-id': msgId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': sigs.join(' '),
      };
    }
    case 'productive': {
      const sigs = secrets.map((s) => `s=${hmacHex(s, `${timestamp}.${body}`)}`);
      return { [input.header ?? DEFAULT_SIGNATURE_HEADERS.productive]: [`t=${timestamp}`, ...sigs].join(',') };
    }
    case 'sha256':
    case 'hex': {
      if (secrets.length === 0) return {};
      const header = input.header ?? DEFAULT_SIGNATURE_HEADERS[scheme];
      const fmt = (s: string) => (scheme === 'sha256' ? `sha256=${hmacHex(s, body)}` : hmacHex(s, body));
      const out: Record<string, string> = { [header]: fmt(secrets[0]) };
      if (secrets[1]) out[`${header}-Previous`] = fmt(secrets[1]);
      return out;
    }
  }
}
