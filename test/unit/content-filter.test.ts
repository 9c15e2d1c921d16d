import { describe, expect, it } from 'vitest';
import { matchesFilter, validateFilter } from '../../src/domain/content-filter';

const data = {
  status: 'done',
  priority: 3,
  amount: 250.5,
  archived: false,
  note: null,
  tags: ['a', 'b'],
  project: { id: 7, name: 'Web', owner: { id: 'u_1' } },
  items: [{ sku: 'x1', qty: 2 }, { sku: 'y2' }],
  count: '10',
};

describe('matchesFilter', () => {
  const table: [string, Record<string, unknown> | null, boolean][] = [
    ['no filter passes everything', null, true],
    ['equality on a string field', { status: 'done' }, true],
    ['equality fails on another value', { status: 'open' }, false],
    ['equality on a number', { priority: 3 }, true],
    ['equality does not coerce a string to a number', { count: 10 }, false],
    ['equality on a boolean false', { archived: false }, true],
    ['equality on null matches a null field', { note: null }, true],
    ['equality on null does not match a missing field', { missing: null }, false],
    ['equality on an array is exact (order matters)', { tags: ['b', 'a'] }, false],
    ['equality on an array in the same order', { tags: ['a', 'b'] }, true],
    ['equality on an object is deep and exact', { project: { id: 7, name: 'Web', owner: { id: 'u_1' } } }, true],
    ['equality on an object with a key missing fails', { project: { id: 7 } }, false],
    ['a nested path', { 'project.id': 7 }, true],
    ['a deeper nested path', { 'project.owner.id': 'u_1' }, true],
    ['a nested path through a missing object', { 'customer.id': 7 }, false],
    ['a nested path through a scalar', { 'status.length': 4 }, false],
    ['an array index in a path', { 'items.0.sku': 'x1' }, true],
    ['an array index out of range', { 'items.5.sku': 'x1' }, false],
    ['$eq on a nested path', { 'project.name': { $eq: 'Web' } }, true],
    ['$in matches one of the values', { status: { $in: ['open', 'done'] } }, true],
    ['$in with none matching', { status: { $in: ['open', 'closed'] } }, false],
    ['$in with numbers on a nested path', { 'project.id': { $in: [1, 7] } }, true],
    ['$in does not match a missing field', { missing: { $in: [null] } }, false],
    ['$exists true on a present field', { 'project.owner': { $exists: true } }, true],
    ['$exists true on a null field (present)', { note: { $exists: true } }, true],
    ['$exists true on a missing field', { 'project.client': { $exists: true } }, false],
    ['$exists false on a missing field', { 'items.1.qty': { $exists: false } }, true],
    ['$exists false on a present field', { 'items.0.qty': { $exists: false } }, false],
    ['$gt on a number above', { amount: { $gt: 250 } }, true],
    ['$gt on an equal number', { priority: { $gt: 3 } }, false],
    ['$gte on an equal number', { priority: { $gte: 3 } }, true],
    ['$lt below', { priority: { $lt: 4 } }, true],
    ['$lte on equal', { priority: { $lte: 3 } }, true],
    ['$lt not below', { priority: { $lt: 3 } }, false],
    ['$gt on a numeric string does not match', { count: { $gt: 1 } }, false],
    ['$gt on a missing field does not match', { missing: { $gt: 1 } }, false],
    ['a range: $gt and $lt together', { amount: { $gt: 100, $lt: 1000 } }, true],
    ['a range that excludes the value', { amount: { $gt: 100, $lt: 200 } }, false],
    ['all conditions must hold', { status: 'done', 'project.id': 7, priority: { $gt: 1 } }, true],
    ['one failing condition fails the filter', { status: 'done', 'project.id': 8 }, false],
    ['a key that looks like a path is only a path', { 'a.b': 1 }, false],
  ];
  it.each(table)('%s', (_label, filter, expected) => {
    expect(validateFilter(filter ?? { status: 'done' })).toEqual([]);
    expect(matchesFilter(filter, data)).toBe(expected);
  });

  it('treats a non-object data as having no fields', () => {
    expect(matchesFilter({ a: { $exists: false } }, 'text')).toBe(true);
    expect(matchesFilter({ a: 1 }, null)).toBe(false);
  });
});

describe('validateFilter', () => {
  const table: [string, unknown, { path: string; message: RegExp }[]][] = [
    ['a list is not a filter', [{ a: 1 }], [{ path: '', message: /object of conditions/ }]],
    ['a string is not a filter', 'status=done', [{ path: '', message: /object of conditions/ }]],
    ['an empty filter is refused (omit it instead)', {}, [{ path: '', message: /at least one condition/ }]],
    [
      'an unknown operator',
      { amount: { $regex: 'x' } },
      [{ path: 'amount.$regex', message: /unknown operator \$regex; supported: \$eq, \$in/ }],
    ],
    ['$in needs a list', { status: { $in: 'done' } }, [{ path: 'status.$in', message: /list of 1 to 100/ }]],
    ['$in needs at least one value', { status: { $in: [] } }, [{ path: 'status.$in', message: /list of 1 to 100/ }]],
    [
      '$in takes at most 100 values',
      { status: { $in: Array.from({ length: 101 }, (_, i) => i) } },
      [{ path: 'status.$in', message: /list of 1 to 100/ }],
    ],
    ['$exists needs a boolean', { a: { $exists: 1 } }, [{ path: 'a.$exists', message: /true or false/ }]],
    ['$gt needs a number', { amount: { $gt: '100' } }, [{ path: 'amount.$gt', message: /numbers only; got "100"/ }]],
    ['$lte needs a number', { amount: { $lte: null } }, [{ path: 'amount.$lte', message: /numbers only/ }]],
    ['a top-level operator', { $or: [{ a: 1 }] }, [{ path: '$or', message: /not supported at the top level/ }]],
    ['an empty path segment', { 'project..id': 1 }, [{ path: 'project..id', message: /dot-separated/ }]],
    ['a $ in a path segment', { 'project.$id': 1 }, [{ path: 'project.$id', message: /dot-separated/ }]],
    ['a path too deep', { 'a.b.c.d.e.f.g.h.i.j.k': 1 }, [{ path: 'a.b.c.d.e.f.g.h.i.j.k', message: /at most 10 segments/ }]],
    ['operators mixed with fields', { project: { $exists: true, id: 1 } }, [{ path: 'project', message: /mixes operators/ }]],
    [
      'too many conditions',
      Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, i])),
      [{ path: '', message: /at most 20 conditions/ }],
    ],
    ['too large', { a: 'x'.repeat(5000) }, [{ path: '', message: /at most 4096 bytes/ }]],
    [
      'several problems are all reported',
      { a: { $gt: 'x' }, b: { $nope: 1 } },
      [
        { path: 'a.$gt', message: /numbers only/ },
        { path: 'b.$nope', message: /unknown operator/ },
      ],
    ],
  ];
  it.each(table)('%s', (_label, filter, expected) => {
    const issues = validateFilter(filter);
    expect(issues.map((i) => i.path)).toEqual(expected.map((e) => e.path));
    issues.forEach((issue, i) => expect(issue.message).toMatch(expected[i].message));
  });

  it('accepts every operator with a valid operand', () => {
    expect(
      validateFilter({
        a: { $eq: { x: 1 } },
        b: { $in: [1, 'x', null] },
        c: { $exists: false },
        d: { $gt: 1, $gte: 1, $lt: 2.5, $lte: -1 },
        'e.0.f': [1],
      }),
    ).toEqual([]);
  });
});
