import type { EventRow } from '../db/repositories/events';
import type { WebhookRow } from '../db/repositories/webhooks';
import { PROFILES } from '../domain/profiles';
import { buildEnvelope, encodeBody } from '../signing/envelope';
import type { SecretBox } from '../signing/secret-box';
import { sign } from '../signing/sign';
import type { AttemptOutcome } from './decide';
import type { SendRequest, SendResult } from './http-client';
import { classifyOutcome } from './outcome';

/** The webhook's current secret, plus the previous one while its rotation grace period lasts. */
export function activeSecrets(webhook: WebhookRow, box: SecretBox, now: number): string[] {
  const secrets: string[] = [];
  if (webhook.secret_enc) secrets.push(box.decrypt(webhook.secret_enc));
  if (webhook.previous_secret_enc && webhook.previous_secret_expires_at && webhook.previous_secret_expires_at.getTime() > now) {
    secrets.push(box.decrypt(webhook.previous_secret_enc));
  }
  return secrets;
}

/** The request of one attempt (pure): the profile's envelope, the body, signatures and headers. */
export function prepareRequest(webhook: WebhookRow, event: EventRow, deliveryId: string, secrets: string[], now: number): SendRequest {
  const profile = PROFILES[webhook.profile];
  const envelope = buildEnvelope(
    profile.envelope,
    { id: event.id, type: event.type, createdAt: event.created_at, data: event.payload },
    webhook.id,
  );
  const body = encodeBody(webhook.content_type, envelope);
  const timestamp = Math.floor(now / 1000);
  const signatureHeaders = sign(webhook.signature_scheme, {
    secrets,
    msgId: deliveryId,
    timestamp,
    body,
    header: webhook.signature_header,
  });
  const extraIds: Record<string, string> =
    profile.envelope === 'generic' ? { 'X-Webhook-ID': deliveryId, 'X-Webhook-Timestamp': String(timestamp) } : {};
  return {
    url: webhook.url,
    method: webhook.method,
    headers: { ...webhook.custom_headers, 'content-type': webhook.content_type, ...extraIds, ...signatureHeaders },
    body,
    timeoutMs: webhook.timeout_ms,
  };
}

/** What the rules need of a send result, and the error text the attempt log shows. */
export function toOutcome(res: SendResult): AttemptOutcome & { errorMessage: string | null } {
  if (res.kind === 'error') {
    return { ok: false, responseCode: null, errorClass: res.errorClass, gone: false, retryAfter: null, errorMessage: res.message };
  }
  const c = classifyOutcome(res.statusCode);
  return {
    ok: c.ok,
    responseCode: res.statusCode,
    errorClass: c.errorClass,
    gone: c.gone,
    retryAfter: c.honourRetryAfter ? String(res.headers['retry-after'] ?? '') : null,
    errorMessage: c.errorClass === 'redirect' ? `redirect not followed: Location ${String(res.headers.location ?? '')}` : null,
  };
}
