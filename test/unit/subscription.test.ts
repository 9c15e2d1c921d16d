import { describe, it, expect } from 'vitest';
import { EVENT_TYPE_RE, PATTERN_RE, matchesSubscription } from '../../src/domain/subscription';

describe('matchesSubscription', () => {
  const table: [string, string[], string, boolean][] = [
    ['an exact pattern matches the same type', ['task.created'], 'task.created', true],
    ['an exact pattern does not match a sibling type', ['task.created'], 'task.updated', false],
    ['an exact pattern does not match a longer type', ['task.created'], 'task.created.v2', false],
    ['an exact pattern does not match its prefix', ['task.created'], 'task', false],
    ['a prefix wildcard matches a child type', ['task.*'], 'task.created', true],
    ['a prefix wildcard matches a grandchild type', ['task.*'], 'task.a.b', true],
    ['a prefix wildcard does not match a longer first segment', ['task.*'], 'taskx.created', false],
    ['a prefix wildcard does not match the bare prefix', ['task.*'], 'task', false],
    ['a prefix wildcard does not match the prefix in the middle', ['task.*'], 'project.task.created', false],
    ['a two-segment wildcard matches below it', ['task.comment.*'], 'task.comment.added', true],
    ['a two-segment wildcard does not match a sibling', ['task.comment.*'], 'task.created', false],
    ['a two-segment wildcard does not match a longer segment', ['task.comment.*'], 'task.comments.added', false],
    ['* matches a dotted type', ['*'], 'invoice.deleted', true],
    ['* matches a single-segment type', ['*'], 'ping', true],
    ['any of several patterns may match (exact)', ['project.created', 'task.*'], 'project.created', true],
    ['any of several patterns may match (wildcard)', ['project.created', 'task.*'], 'task.deleted', true],
    ['none of several patterns matching means no match', ['project.created', 'task.*'], 'project.deleted', false],
    ['* among other patterns matches anything', ['task.created', '*'], 'deal.won', true],
    ['no patterns match nothing', [], 'task.created', false],
  ];
  it.each(table)('%s', (_label, patterns, type, expected) => {
    expect(matchesSubscription(patterns, type)).toBe(expected);
  });
});

describe('EVENT_TYPE_RE', () => {
  const table: [string, boolean][] = [
    ['task', true],
    ['task.created', true],
    ['user.role_changed', true],
    ['time-entry.updated', true],
    ['a.b.c.d', true],
    ['v2.task.created', true],
    ['', false],
    ['.task', false],
    ['task.', false],
    ['task..created', false],
    ['task.*', false],
    ['*', false],
    ['task created', false],
    ['task/created', false],
    ['task:created', false],
    ['tâche.créée', false],
    [' task.created', false],
  ];
  it.each(table)('%j is a valid event type: %s', (type, valid) => {
    expect(EVENT_TYPE_RE.test(type)).toBe(valid);
  });
});

describe('PATTERN_RE', () => {
  const table: [string, boolean][] = [
    ['*', true],
    ['task', true],
    ['task.created', true],
    ['task.*', true],
    ['task.comment.*', true],
    ['user.role_changed', true],
    ['', false],
    ['**', false],
    ['task*', false],
    ['task.**', false],
    ['*.created', false],
    ['task.*.created', false],
    ['.*', false],
    ['task.', false],
    ['task..created', false],
    ['task created', false],
    ['task.created,task.updated', false],
  ];
  it.each(table)('%j is a valid subscription pattern: %s', (pattern, valid) => {
    expect(PATTERN_RE.test(pattern)).toBe(valid);
  });

  it.each(['task', 'task.created', 'a.b.c.d', 'user.role_changed'])('every valid event type %j is also a valid pattern', (type) => {
    expect(EVENT_TYPE_RE.test(type)).toBe(true);
    expect(PATTERN_RE.test(type)).toBe(true);
  });
});
