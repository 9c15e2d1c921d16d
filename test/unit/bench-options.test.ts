import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseBenchArgs, QUICK, type BenchOptions } from '../../bench/options';

const env = {};

describe('npm run bench options', () => {
  const ok: [string, string[], Partial<BenchOptions>][] = [
    [
      'defaults',
      [],
      {
        events: 300,
        modes: ['ceiling', 'floor', 'limit', 'hookflow'],
        workers: 0,
        burstEvents: 1000,
        burstProducers: 50,
        fairnessDeliveries: 5000,
      },
    ],
    ['--quick', ['--quick'], QUICK],
    ['--quick then an explicit value wins', ['--quick', '--events', '7'], { ...QUICK, events: 7 }],
    ['--flag=value', ['--events=12', '--webhooks=3'], { events: 12, webhooks: 3 }],
    ['modes keep the canonical order', ['--modes', 'hookflow,limit'], { modes: ['limit', 'hookflow'] }],
    ['scale with k', ['--scale', '1k,10k'], { scale: [1000, 10000] }],
    ['scale 0 skips', ['--scale', '0'], { scale: [] }],
    [
      'burst and fairness',
      ['--burst', '0', '--burst-producers', '8', '--fairness', '200', '--fairness-interval-ms', '50', '--fairness-alone-s', '2.5'],
      { burstEvents: 0, burstProducers: 8, fairnessDeliveries: 200, fairnessIntervalMs: 50, fairnessAloneSeconds: 2.5 },
    ],
    ['workers', ['--workers', '2'], { workers: 2 }],
    ['repeatable env', ['--hookflow-env', 'A=1', '--hookflow-env', 'B=x=y'], { hookflowEnv: { A: '1', B: 'x=y' } }],
    ['failure rate', ['--receiver-failure-rate', '0.25'], { receiverFailureRate: 0.25 }],
  ];
  it.each(ok)('%s', (_name, argv, expected) => {
    expect(parseBenchArgs(argv, env)).toMatchObject(expected);
  });

  it('takes DATABASE_URL from the environment unless given', () => {
    expect(parseBenchArgs([], { DATABASE_URL: 'postgres://a/b' }).databaseUrl).toBe('postgres://a/b');
    expect(parseBenchArgs(['--database-url', 'postgres://c/d'], { DATABASE_URL: 'postgres://a/b' }).databaseUrl).toBe('postgres://c/d');
  });

  const bad: [string, string[], RegExp][] = [
    ['unknown flag', ['--bogus'], /Unknown option '--bogus'/],
    ['positional', ['hookflow'], /Unexpected argument 'hookflow'/],
    ['missing value', ['--events'], /--events/],
    ['zero events', ['--events', '0'], /--events must be an integer ≥ 1/],
    ['fractional workers', ['--workers', '1.5'], /--workers must be an integer ≥ 0/],
    ['unknown mode', ['--modes', 'ceiling,turbo'], /unknown mode turbo/],
    ['failure rate above 1', ['--receiver-failure-rate', '2'], /--receiver-failure-rate must be a number in \[0, 1\]/],
    ['env without =', ['--hookflow-env', 'A'], /KEY=VALUE/],
  ];
  it.each(bad)('error: %s', (_name, argv, message) => {
    expect(() => parseBenchArgs(argv, env)).toThrow(message);
  });

  it('defaults are not mutated by a parse', () => {
    parseBenchArgs(['--modes', 'floor', '--scale', '5']);
    expect(DEFAULTS.modes).toHaveLength(4);
    expect(DEFAULTS.scale).toEqual([250, 1000]);
  });
});
