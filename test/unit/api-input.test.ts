import { describe, expect, it } from 'vitest';
import { unavailableDependency } from '../../src/api/errors';
import { findUnstorable, MAX_JSON_DEPTH } from '../../src/api/json-guard';
import { decodeCursor, encodeCursor } from '../../src/api/list';

const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nest(depth - 1) });

describe('findUnstorable', () => {
  it.each([
    ['plain values', { a: 'x', b: [1, true, null, { c: 'é😀' }] }, null],
    ['a NUL in a string', { a: ['ok', 'x\u0000'] }, { path: ['a', '1'], message: 'must not contain NUL (\\u0000)' }],
    ['a NUL in a key', { 'k\u0000': 1 }, { path: ['k\u0000'], message: 'key must not contain NUL (\\u0000)' }],
    ['a lone high surrogate', { a: 'x\ud800' }, { path: ['a'], message: 'must not contain an unpaired UTF-16 surrogate' }],
    ['a lone low surrogate', { a: '\udc00x' }, { path: ['a'], message: 'must not contain an unpaired UTF-16 surrogate' }],
    ['a surrogate pair', { a: '\ud83d\ude00' }, null],
    ['nesting at the limit', nest(MAX_JSON_DEPTH), null],
    [
      'nesting past the limit',
      nest(MAX_JSON_DEPTH + 1),
      { path: Array(MAX_JSON_DEPTH).fill('a'), message: `nested deeper than ${MAX_JSON_DEPTH} levels` },
    ],
  ])('%s', (_what, value, expected) => {
    expect(findUnstorable(value)).toEqual(expected);
  });
});

describe('cursor codec', () => {
  it.each(['wh_01hzzzzzzzzzzzzzzzzzzzzz', 'task.created'])('round-trips %s', (key) => {
    expect(decodeCursor(encodeCursor(key))).toBe(key);
  });
  it.each([
    ['NUL bytes', 'AA'],
    ['invalid UTF-8', '_w'],
    ['a space', encodeCursor('a b')],
    ['empty', ''],
  ])('refuses a cursor decoding to %s', (_what, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});

describe('unavailableDependency', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'the database (PostgreSQL)'],
    ['a server shutting down', Object.assign(new Error('terminating connection'), { code: '57P01' }), 'the database (PostgreSQL)'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 'the database (PostgreSQL)'],
    [
      'a pool timeout',
      Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }),
      'the database (PostgreSQL)',
    ],
    ['a wrapped cause', new Error('failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), 'the database (PostgreSQL)'],
    ['Temporal unavailable', Object.assign(new Error('14 UNAVAILABLE'), { code: 14, details: '', metadata: {} }), 'Temporal'],
    ['a bad query', Object.assign(new Error('syntax error'), { code: '42601' }), null],
    ['a data exception', Object.assign(new Error('invalid byte sequence'), { code: '22021' }), null],
    ['anything else', new Error('boom'), null],
  ])('%s', (_what, err, expected) => {
    expect(unavailableDependency(err)).toBe(expected);
  });
});
