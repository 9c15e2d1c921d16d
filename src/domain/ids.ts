import { randomBytes } from 'node:crypto';

export type IdPrefix = 'ws' | 'key' | 'wh' | 'evt' | 'dlv' | 'att' | 'ntf' | 'ps';

/**
 * Prefixed, time-ordered ids (`wh_01jd…`): 10 chars of millisecond time in base32 then 16 random
 * chars, so sorting ids sorts by creation time and cursors can be ids.
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (const b of bytes) rand += alphabet[b % 32];
  return `${prefix}_${time}${rand}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`) && /^[a-z]+_[0-9a-z]{26}$/.test(id);
}
