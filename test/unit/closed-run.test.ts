import { describe, expect, it } from 'vitest';
import { closedRunOutcome, type ClosedRun } from '../../src/domain/closed-run';

describe('closedRunOutcome', () => {
  const table: [string, ClosedRun, ReturnType<typeof closedRunOutcome>][] = [
    [
      'a terminated run with a reason and identity',
      { status: 'TERMINATED', reason: 'stuck', identity: 'ops@host' },
      { status: 'terminated', lastError: 'workflow terminated by ops@host: stuck' },
    ],
    [
      'a terminated run without a reason',
      { status: 'TERMINATED', reason: '' },
      { status: 'terminated', lastError: 'workflow terminated: no reason given' },
    ],
    ['a timed-out run', { status: 'TIMED_OUT' }, { status: 'terminated', lastError: 'workflow timed out' }],
    ['a natively cancelled run', { status: 'CANCELLED' }, { status: 'cancelled', lastError: 'workflow cancelled' }],
    [
      'a failed run',
      { status: 'FAILED', failure: 'delivery row gone' },
      { status: 'failed', lastError: 'workflow failed: delivery row gone' },
    ],
    ['a completed run (nothing to repair)', { status: 'COMPLETED' }, null],
    ['a run continued as new', { status: 'CONTINUED_AS_NEW' }, null],
    ['a running run', { status: 'RUNNING' }, null],
  ];
  it.each(table)('%s', (_label, run, expected) => {
    expect(closedRunOutcome(run)).toStrictEqual(expected);
  });
});
