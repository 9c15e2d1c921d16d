import { parseDuration } from './duration';
import type { RetryPolicy } from './retry-policy';

export type SignatureScheme = 'standard' | 'productive' | 'sha256' | 'hex';
export type Envelope = 'standard' | 'productive' | 'gitproductivity' | 'generic' | 'basic';
export const PROFILE_NAMES = ['standard', 'productive', 'gitproductivity', 'generic', 'basic'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The signature header of each header-named scheme when the webhook names none. */
export const DEFAULT_SIGNATURE_HEADERS: Record<Exclude<SignatureScheme, 'standard'>, string> = {
  productive: 'Productive-Signature',
  sha256: 'X-Webhook-Signature',
  hex: 'X-Signature',
};

export interface Profile {
  scheme: SignatureScheme;
  /** Header carrying the signature for the `sha256`/`hex` schemes. */
  signatureHeader: string | null;
  envelope: Envelope;
  retryPolicy: RetryPolicy;
  maxAttempts: number;
  sendTestOnCreate: boolean;
  /** Whether a secret is generated when none is given (seed 003's secret is optional). */
  generateSecret: boolean;
}

const d = (...xs: string[]) => xs.map((x) => parseDuration(x));

const policy = (schedule: number[], over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  schedule,
  jitter: 0,
  notify_after_consecutive_failures: 3,
  disable_on_exhaustion: false,
  disable_after_failing_for: null,
  ...over,
});

/**
 * The seed systems, reproduced. Seed 000 says both "12 retries over 48 hours" and "every 12
 * hours"; both cannot hold, so `productive` spreads 12 retries over 48 h (every 4 h).
 */
export const PROFILES: Record<ProfileName, Profile> = {
  standard: {
    scheme: 'standard',
    signatureHeader: null,
    envelope: 'standard',
    retryPolicy: policy(d('5s', '5m', '30m', '2h', '5h', '10h', '10h'), {
      disable_after_failing_for: parseDuration('5d'),
    }),
    maxAttempts: 8,
    sendTestOnCreate: false,
    generateSecret: true,
  },
  productive: {
    scheme: 'productive',
    signatureHeader: DEFAULT_SIGNATURE_HEADERS.productive,
    envelope: 'productive',
    retryPolicy: policy(Array(12).fill(parseDuration('4h')), { disable_on_exhaustion: true }),
    maxAttempts: 13,
    sendTestOnCreate: false,
    generateSecret: true,
  },
  gitproductivity: {
    scheme: 'sha256',
    signatureHeader: 'X-GitProductivity-Signature',
    envelope: 'gitproductivity',
    retryPolicy: policy(d('1m', '5m', '30m', '2h', '24h')),
    maxAttempts: 6,
    sendTestOnCreate: true,
    generateSecret: true,
  },
  generic: {
    scheme: 'sha256',
    signatureHeader: DEFAULT_SIGNATURE_HEADERS.sha256,
    envelope: 'generic',
    retryPolicy: policy(d('1m', '5m', '30m'), { disable_on_exhaustion: true }),
    maxAttempts: 4,
    sendTestOnCreate: false,
    generateSecret: true,
  },
  basic: {
    scheme: 'hex',
    signatureHeader: DEFAULT_SIGNATURE_HEADERS.hex,
    envelope: 'basic',
    retryPolicy: policy(d('10s', '1m', '5m', '30m', '1h')),
    maxAttempts: 3,
    sendTestOnCreate: false,
    generateSecret: false,
  },
};
