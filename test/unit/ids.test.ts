import { describe, it, expect } from 'vitest';
import { hasPrefix, newId, type IdPrefix } from '../../src/domain/ids';

const PREFIXES: IdPrefix[] = ['ws', 'key', 'wh', 'evt', 'dlv', 'att', 'ntf'];
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lowercase
const BODY_RE = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** Reads the 10-character time part back into milliseconds. */
const decodeTime = (id: string) =>
  [...id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);

describe('newId', () => {
  it.each(PREFIXES)('a %s id is <prefix>_ then 26 Crockford base32 characters', (prefix) => {
    const id = newId(prefix);
    expect(id.startsWith(`${prefix}_`)).toBe(true);
    expect(id).toHaveLength(prefix.length + 1 + 26);
    expect(id.slice(prefix.length + 1)).toMatch(BODY_RE);
  });

  it.each([
    [0, '0000000000'],
    [1, '0000000001'],
    [31, '000000000z'],
    [32, '0000000010'],
    [1_700_000_000_000, '01hf7yat00'],
  ])('encodes now = %i as the time part %s', (now, time) => {
    expect(newId('evt', now).slice(4, 14)).toBe(time);
  });

  it.each([0, 1, 1_000, Date.parse('2025-06-01T00:00:00Z'), 2 ** 45])('the time part of an id made at %i decodes back to it', (now) => {
    expect(decodeTime(newId('dlv', now))).toBe(now);
  });

  it('ids made at the same millisecond share the time part but not the random part', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const a = newId('wh', now);
    const b = newId('wh', now);
    expect(a.slice(0, 13)).toBe(b.slice(0, 13));
    expect(a.slice(13)).not.toBe(b.slice(13));
  });

  it('sorting ids by string sorts them by creation time', () => {
    const times = [
      0,
      1,
      31,
      32,
      33,
      1023,
      1024,
      1_000_000,
      Date.parse('2020-01-01T00:00:00Z'),
      Date.parse('2024-12-31T23:59:59.999Z'),
      Date.parse('2025-01-01T00:00:00Z'),
      Date.parse('2025-01-01T00:00:00.001Z'),
      Date.parse('2099-01-01T00:00:00Z'),
    ];
    const ids = times.map((t) => newId('evt', t));
    const shuffled = [...ids].reverse();
    expect(shuffled.sort()).toEqual(ids);
  });

  it('an id made 1 ms later always sorts after, whatever the random part', () => {
    const base = Date.parse('2025-03-01T12:00:00Z');
    for (let i = 0; i < 200; i++) {
      const earlier = newId('att', base + i);
      const later = newId('att', base + i + 1);
      expect(earlier < later).toBe(true);
    }
  });
});

describe('hasPrefix', () => {
  const body = '01jd5ymp00abcdefghjkmnpqrs';
  const table: [string, string, IdPrefix, boolean][] = [
    ['a fresh wh id', newId('wh'), 'wh', true],
    ['a fresh evt id', newId('evt'), 'evt', true],
    ['a well-formed literal', `dlv_${body}`, 'dlv', true],
    ['another prefix', newId('evt'), 'wh', false],
    ['a prefix that only starts the same', `whx_${body}`, 'wh', false],
    ['a longer prefix sharing the start', `key_${body}`, 'ws', false],
    ['a body one character short', `wh_${body.slice(1)}`, 'wh', false],
    ['a body one character long', `wh_${body}0`, 'wh', false],
    ['an uppercase body', `wh_${body.toUpperCase()}`, 'wh', false],
    ['an uppercase prefix', `WH_${body}`, 'wh', false],
    ['a dash instead of the underscore', `wh-${body}`, 'wh', false],
    ['the bare prefix', 'wh_', 'wh', false],
    ['an empty string', '', 'wh', false],
  ];
  it.each(table)('%s (%s) has prefix %s: %s', (_label, id, prefix, expected) => {
    expect(hasPrefix(id, prefix)).toBe(expected);
  });
});
