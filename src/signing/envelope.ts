import type { Envelope } from '../domain/profiles';

export interface EnvelopeEvent {
  id: string;
  type: string;
  createdAt: Date;
  data: unknown;
}

/** The payload shape each profile's receivers expect (DESIGN.md "Profiles"). */
export function buildEnvelope(kind: Envelope, event: EnvelopeEvent, webhookId: string): Record<string, unknown> {
  const timestamp = event.createdAt.toISOString();
  switch (kind) {
    case 'standard':
    case 'productive':
    case 'basic':
      return { id: event.id, type: event.type, timestamp, data: event.data };
    case 'gitproductivity':
      return { id: event.id, type: event.type, created_at: timestamp, data: event.data };
    case 'generic':
      return { event: event.type, timestamp, webhook_id: webhookId, data: event.data };
  }
}

/** Serialises the envelope as the request body for the webhook's content type. */
export function encodeBody(contentType: string, envelope: Record<string, unknown>): string {
  const json = JSON.stringify(envelope);
  if (contentType === 'application/x-www-form-urlencoded') {
    return new URLSearchParams({ payload: json }).toString();
  }
  return json;
}
