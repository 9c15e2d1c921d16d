import { describe, it, expect } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/signing/secret-box';

const newKey = () => randomBytes(32).toString('base64');

/** Flips one byte of one dot-separated segment (decoding first, so base64 padding bits cannot hide it). */
function tamper(box: string, segment: 1 | 2 | 3, at = 0): string {
  const parts = box.split('.');
  const bytes = Buffer.from(parts[segment], 'base64url');
  bytes[at] ^= 0x01;
  parts[segment] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(newKey());

  it.each([
    ['a whsec_ secret', `whsec_${randomBytes(24).toString('base64')}`],
    ['a short plain secret', 'hunter2'],
    ['an empty string', ''],
    ['unicode', 'clé secrète 🔑'],
    ['a long secret', 'x'.repeat(10_000)],
  ])('round-trips %s', (_label, plain) => {
    expect(box.decrypt(box.encrypt(plain))).toBe(plain);
  });

  it('stores v1.<iv>.<tag>.<ciphertext> in base64url', () => {
    const enc = box.encrypt('hunter2-hunter2');
    expect(enc).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
  });

  it('gives a different ciphertext each time for the same secret', () => {
    const plain = 'whsec_same-secret-each-time';
    const all = new Set(Array.from({ length: 20 }, () => box.encrypt(plain)));
    expect(all.size).toBe(20);
  });

  it.each(['whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', 'hunter2-hunter2-hunter2'])(
    'the ciphertext of %j contains neither the plaintext nor its base64',
    (plain) => {
      const enc = box.encrypt(plain);
      expect(enc).not.toContain(plain);
      expect(enc).not.toContain(Buffer.from(plain).toString('base64url').slice(0, 12));
      expect(enc).not.toContain(Buffer.from(plain).toString('base64').slice(0, 12));
    },
  );

  it('a different key cannot decrypt, and the error names HOOKFLOW_ENCRYPTION_KEY', () => {
    const enc = box.encrypt('hunter2');
    const other = new SecretBox(newKey());
    expect(() => other.decrypt(enc)).toThrow(/HOOKFLOW_ENCRYPTION_KEY/);
  });

  it.each([
    ['the ciphertext', 3 as const],
    ['the auth tag', 2 as const],
    ['the iv', 1 as const],
  ])('tampering with %s makes decryption fail', (_label, segment) => {
    const enc = box.encrypt('hunter2-hunter2');
    const bad = tamper(enc, segment);
    expect(bad).not.toBe(enc);
    expect(() => box.decrypt(bad)).toThrow(/cannot decrypt/);
  });

  it.each([
    ['another version', (e: string) => e.replace(/^v1\./, 'v2.')],
    ['a missing segment', (e: string) => e.split('.').slice(0, 3).join('.')],
    ['a plaintext secret', () => 'whsec_not-encrypted'],
    ['an empty string', () => ''],
  ])('rejects %s as malformed', (_label, mangle) => {
    expect(() => box.decrypt(mangle(box.encrypt('hunter2')))).toThrow(/malformed/);
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['31 bytes', randomBytes(31).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['64 bytes', randomBytes(64).toString('base64')],
    ['an empty key', ''],
    ['32 characters of hex (16 bytes)', randomBytes(16).toString('hex')],
  ])('the constructor rejects a key of %s', (_label, key) => {
    expect(() => new SecretBox(key)).toThrow(/HOOKFLOW_ENCRYPTION_KEY must be 32 bytes/);
  });

  it('refuses a truncated GCM tag', () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([cipher.update('secret'), cipher.final()]);
    const short = ['v1', iv, cipher.getAuthTag().subarray(0, 4), ct]
      .map((x) => (typeof x === 'string' ? x : x.toString('base64url')))
      .join('.');
    expect(() => new SecretBox(key.toString('base64')).decrypt(short)).toThrow(/HOOKFLOW_ENCRYPTION_KEY/);
  });

  it('the constructor accepts a base64 key of exactly 32 bytes', () => {
    expect(() => new SecretBox(newKey())).not.toThrow();
  });
});
