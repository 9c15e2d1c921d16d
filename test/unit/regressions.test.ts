import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { classifyError } from '../../src/delivery/outcome';
import { nextDelay, parseRetryAfter, type RetryPolicy } from '../../src/domain/retry-policy';
import { SecretBox } from '../../src/signing/secret-box';

// Cases found by review; each failed before its fix.
describe('regressions', () => {
  const jittered: RetryPolicy = { schedule: [100_000], jitter: 0.5, notify_after_consecutive_failures: 3, disable_on_exhaustion: false, disable_after_failing_for: null };

  it('a longer Retry-After never shortens a jittered delay', () => {
    expect(nextDelay(jittered, 5, 1, 200_000, () => 0.999)).toBe(nextDelay(jittered, 5, 1, null, () => 0.999));
  });

  it.each(['x 2099', '-5', 'Tuesday', '2099-01-01'])('ignores a Retry-After of %j that is neither seconds nor an HTTP date', (v) => {
    expect(parseRetryAfter(v, Date.now())).toBeNull();
  });

  it('reads an IMF-fixdate Retry-After', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:51:37 GMT', now)).toBe(120_000);
  });

  it.each(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'INVALID_CA', 'HOSTNAME_MISMATCH'])('classifies %s as tls', (code) => {
    expect(classifyError({ code })).toBe('tls');
  });

  it('treats empty variables as unset', () => {
    const c = loadConfig({ PORT: '', HOOKFLOW_EAGER: '', HOOKFLOW_MAX_WEBHOOKS: ' ', HOOKFLOW_ENCRYPTION_KEY: '' });
    expect(c.PORT).toBe(3000);
    expect(c.HOOKFLOW_EAGER).toBe(true);
    expect(c.HOOKFLOW_MAX_WEBHOOKS).toBe(25);
    expect(c.HOOKFLOW_ENCRYPTION_KEY).toBeUndefined();
  });

  it('refuses a truncated GCM tag', () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([cipher.update('secret'), cipher.final()]);
    const box = ['v1', iv, cipher.getAuthTag().subarray(0, 4), ct].map((x) => (typeof x === 'string' ? x : x.toString('base64url'))).join('.');
    expect(() => new SecretBox(key.toString('base64')).decrypt(box)).toThrow(/HOOKFLOW_ENCRYPTION_KEY/);
  });
});
