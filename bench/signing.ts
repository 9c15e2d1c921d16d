import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing with node:crypto only, for the ceiling and floor modes (Hookflow
 * itself signs with src/signing). Receivers verify all modes with the `standardwebhooks` package.
 */
export function standardSignatureHeaders(secret: string, msgId: string, timestampS: number, body: string): Record<string, string> {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const sig = createHmac('sha256', key).update(`${msgId}.${timestampS}.${body}`).digest('base64');
  return { 'webhook-id': msgId, 'webhook-timestamp': String(timestampS), 'webhook-signature': `v1,${sig}` };
}

export function benchSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The `standard` profile's envelope, as Hookflow builds it (src/signing/envelope.ts). */
export function standardEnvelope(eventId: string, type: string, createdAt: Date, data: unknown): string {
  return JSON.stringify({ id: eventId, type, timestamp: createdAt.toISOString(), data });
}
