import { describe, it, expect } from 'vitest';
import { nextDelay, parseRetryAfter, type RetryPolicy } from '../../src/domain/retry-policy';
import { parseDuration, formatDuration } from '../../src/domain/duration';
import { PROFILES, type ProfileName } from '../../src/domain/profiles';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

const policy = (schedule: number[], jitter = 0): RetryPolicy => ({
  schedule,
  jitter,
  notify_after_consecutive_failures: 3,
  disable_on_exhaustion: false,
  disable_after_failing_for: null,
});

/** nextDelay for every attempt 1..maxAttempts, as the workflow would ask for them. */
const sequence = (p: RetryPolicy, maxAttempts: number, random?: () => number) =>
  Array.from({ length: maxAttempts }, (_, i) => nextDelay(p, maxAttempts, i + 1, null, random));

describe('nextDelay: profile schedules', () => {
  const table: [ProfileName, number, (number | null)[]][] = [
    ['standard', PROFILES.standard.maxAttempts, [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H, null]],
    ['productive', PROFILES.productive.maxAttempts, [...Array<number>(12).fill(4 * H), null]],
    ['gitproductivity', PROFILES.gitproductivity.maxAttempts, [1 * M, 5 * M, 30 * M, 2 * H, 24 * H, null]],
    ['generic', PROFILES.generic.maxAttempts, [1 * M, 5 * M, 30 * M, null]],
    ['basic', 4, [10 * S, 1 * M, 5 * M, null]],
    ['basic', PROFILES.basic.maxAttempts, [10 * S, 1 * M, null]],
  ];

  it.each(table)('%s with max_attempts %i retries on the seed schedule, then gives up', (name, maxAttempts, expected) => {
    expect(maxAttempts).toBe(expected.length);
    expect(sequence(PROFILES[name].retryPolicy, maxAttempts)).toEqual(expected);
  });

  it('productive spreads its 12 retries over exactly 48 hours', () => {
    const p = PROFILES.productive;
    const delays = sequence(p.retryPolicy, p.maxAttempts).filter((x): x is number => x !== null);
    expect(delays).toHaveLength(12);
    expect(delays.reduce((a, b) => a + b, 0)).toBe(48 * H);
  });

  it.each([
    ['standard', 8],
    ['gitproductivity', 6],
    ['generic', 4],
  ] as const)('%s gives no delay for attempts past max_attempts (%i)', (name, maxAttempts) => {
    const p = PROFILES[name];
    expect(p.maxAttempts).toBe(maxAttempts);
    for (const attemptNo of [maxAttempts, maxAttempts + 1, maxAttempts + 10]) {
      expect(nextDelay(p.retryPolicy, p.maxAttempts, attemptNo)).toBeNull();
    }
  });
});

describe('nextDelay: schedule shorter than max_attempts', () => {
  const table: [string, number[], number, (number | null)[]][] = [
    ['two-step schedule, 6 attempts', [1 * M, 5 * M], 6, [1 * M, 5 * M, 5 * M, 5 * M, 5 * M, null]],
    ['one-step schedule, 4 attempts', [30 * S], 4, [30 * S, 30 * S, 30 * S, null]],
    [
      'standard schedule, 10 attempts',
      PROFILES.standard.retryPolicy.schedule,
      10,
      [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H, 10 * H, 10 * H, null],
    ],
  ];
  it.each(table)('%s: the last delay repeats', (_label, schedule, maxAttempts, expected) => {
    expect(sequence(policy(schedule), maxAttempts)).toEqual(expected);
  });

  it.each([
    [[] as number[], 5, 1],
    [[1 * M], 1, 1],
    [[1 * M], 3, 3],
  ])('schedule %j with max_attempts %i gives no retry after attempt %i', (schedule, maxAttempts, attemptNo) => {
    expect(nextDelay(policy(schedule), maxAttempts, attemptNo)).toBeNull();
  });
});

describe('nextDelay: jitter', () => {
  // 100 s with ±20 %: random() 0 → -20 %, 0.5 → exact, 0.999 → just under +20 %.
  const table: [number, number][] = [
    [0, 80_000],
    [0.25, 90_000],
    [0.5, 100_000],
    [0.75, 110_000],
    [0.999, 119_960],
  ];
  it.each(table)('random() = %f moves a 100 s delay with 20 %% jitter to %i ms', (r, expected) => {
    expect(nextDelay(policy([100_000], 0.2), 5, 1, null, () => r)).toBe(expected);
  });

  it.each([0, 0.001, 0.3, 0.5, 0.77, 0.999])('random() = %f keeps every delay within ±jitter of the schedule', (r) => {
    const schedule = [5 * S, 5 * M, 2 * H];
    const p = policy(schedule, 0.1);
    schedule.forEach((base, i) => {
      const d = nextDelay(p, 10, i + 1, null, () => r)!;
      expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.9));
      expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.1));
    });
  });

  it('does not consult random() when jitter is 0', () => {
    let calls = 0;
    const d = nextDelay(policy([1 * M]), 3, 1, null, () => {
      calls++;
      return 0;
    });
    expect(d).toBe(1 * M);
    expect(calls).toBe(0);
  });
});

describe('nextDelay: Retry-After', () => {
  // Scheduled delays: 1 m, 5 m, 30 m; the largest is 30 m.
  const p = policy([1 * M, 5 * M, 30 * M]);
  const table: [string, number, number | null, number][] = [
    ['no Retry-After keeps the schedule', 1, null, 1 * M],
    ['a longer Retry-After wins', 1, 2 * M, 2 * M],
    ['a longer Retry-After wins on a later attempt', 2, 20 * M, 20 * M],
    ['a Retry-After beyond the largest delay is capped at it', 1, 2 * H, 30 * M],
    ['a Retry-After of days is capped at the largest delay', 3, 7 * 24 * H, 30 * M],
    ['a shorter Retry-After is ignored', 2, 30 * S, 5 * M],
    ['a zero Retry-After is ignored', 1, 0, 1 * M],
    ['a Retry-After equal to the schedule changes nothing', 2, 5 * M, 5 * M],
  ];
  it.each(table)('%s (attempt %i, Retry-After %s ms → %i ms)', (_label, attemptNo, retryAfter, expected) => {
    expect(nextDelay(p, 4, attemptNo, retryAfter)).toBe(expected);
  });

  it('a Retry-After does not resurrect exhausted attempts', () => {
    expect(nextDelay(p, 4, 4, 10 * M)).toBeNull();
  });

  it('a longer Retry-After never shortens a jittered delay', () => {
    const jittered = policy([100 * S], 0.5);
    expect(nextDelay(jittered, 5, 1, 200 * S, () => 0.999)).toBe(nextDelay(jittered, 5, 1, null, () => 0.999));
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T12:00:00.000Z');
  const httpDate = (offsetMs: number) => new Date(now + offsetMs).toUTCString();
  const table: [string, string | undefined, number | null][] = [
    ['delta seconds', '120', 120_000],
    ['delta seconds with whitespace', '  30 ', 30_000],
    ['zero seconds', '0', 0],
    ['an HTTP date 90 s ahead', httpDate(90_000), 90_000],
    ['an HTTP date 1 h ahead', httpDate(3_600_000), 3_600_000],
    ['an HTTP date in the past', httpDate(-60_000), 0],
    ['garbage', 'garbage', null],
    ['words', 'in 5 minutes', null],
    ['a unit suffix', '5s', null],
    ['empty', '', null],
    ['whitespace only', '   ', null],
    ['absent', undefined, null],
    ['words then a year', 'x 2099', null],
    ['negative seconds', '-5', null],
    ['a weekday alone', 'Tuesday', null],
    ['an ISO date (not an HTTP date)', '2099-01-01', null],
  ];
  it.each(table)('%s (%j) → %s ms', (_label, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('reads an IMF-fixdate Retry-After (the RFC 9110 example)', () => {
    const at = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:51:37 GMT', at)).toBe(120_000);
  });
});

describe('parseDuration', () => {
  const ok: [string | number, number][] = [
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['0s', 0],
    ['1.5s', 1_500],
    ['0.5h', 1_800_000],
    [' 5m ', 300_000],
    ['10 m', 600_000],
    ['90', 90_000],
    [30, 30_000],
    [0.25, 250],
    [0, 0],
  ];
  it.each(ok)('%j → %i ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  const bad: (string | number)[] = ['abc', '-1s', '5x', '', 's', '5 minutes', '1h30m', '5M', -1, NaN, Infinity];
  it.each(bad)('%j is rejected with a RangeError', (input) => {
    expect(() => parseDuration(input)).toThrow(RangeError);
    expect(() => parseDuration(input)).toThrow(/invalid duration/);
  });
});

describe('formatDuration', () => {
  const table: [number, string][] = [
    [0, '0ms'],
    [250, '250ms'],
    [1_500, '1500ms'],
    [1_000, '1s'],
    [90_000, '90s'],
    [300_000, '5m'],
    [5_400_000, '90m'],
    [7_200_000, '2h'],
    [129_600_000, '36h'],
    [86_400_000, '1d'],
    [432_000_000, '5d'],
  ];
  it.each(table)('%i ms → %s (shortest exact unit)', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each(table)('%i ms survives format → parse', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it.each(['5s', '5m', '30m', '2h', '10h', '24h', '1d', '250ms', '90s'].map((s) => [s]))(
    '%s survives parse → format in its canonical form',
    (s) => {
      const canonical = s === '24h' ? '1d' : s;
      expect(formatDuration(parseDuration(s))).toBe(canonical);
    },
  );
});
