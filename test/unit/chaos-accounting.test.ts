import { describe, expect, it } from 'vitest';
import { account, type AccountInput } from '../../test/chaos/accounting';
import type { Published } from '../../test/chaos/producer';

/** A run of one event to one webhook that went well; each case breaks one thing. */
function givenRun(): AccountInput {
  const published: Published[] = [
    { seq: 0, key: 'k0', eventId: 'evt_1', eventIds: new Set(['evt_1']), firstTryAt: 1000, acceptedAt: 1100, tries: 1 },
  ];
  return {
    t0: 0,
    published,
    publishErrors: [],
    receivers: [
      { name: 'steady', webhookId: 'wh_1', seen: new Map([['dlv_1', { requests: 1, ok: 1, firstAt: 1300 }]]), signatureFailures: [] },
    ],
    rows: [{ id: 'dlv_1', event_id: 'evt_1', webhook_id: 'wh_1', status: 'success', recorded: 1 }],
    eventsInDb: new Set(['evt_1']),
    notifications: [],
    runningWorkflows: 0,
    finalStatuses: ['success', 'failed'],
    faults: [{ kind: 'kill-worker', target: 'worker-1', at: 1000, recoveredAt: 2000 }],
  };
}

describe('chaos accounting', () => {
  it('passes a run where every accepted event was delivered once, and measures each fault', () => {
    const r = account(givenRun());
    expect(r.violations).toEqual([]);
    expect(r).toMatchObject({
      eventsAccepted: 1,
      deliveriesExpected: 1,
      deliveriesReceived: 1,
      missing: 0,
      duplicates: 0,
      stuck: 0,
      disagreements: 0,
    });
    expect(r.faults[0]).toMatchObject({ publishErrors: 0, maxDispatchLagMs: 200 });
  });

  it('counts a second 2xx for the same webhook-id as a duplicate, not a failure', () => {
    const run = givenRun();
    run.receivers[0].seen.get('dlv_1')!.ok = 2;
    run.receivers[0].seen.get('dlv_1')!.requests = 2;
    const r = account(run);
    expect(r.violations).toEqual([]);
    expect(r.duplicates).toBe(1);
  });

  const broken: [string, (run: AccountInput) => void, RegExp][] = [
    ['an event never accepted', (run) => (run.published[0].eventId = null), /events never accepted/],
    ['a key answered with two events', (run) => run.published[0].eventIds.add('evt_2'), /more than one event/],
    ['an accepted event missing from the database', (run) => run.eventsInDb.clear(), /missing from the database/],
    ['a delivery row missing', (run) => (run.rows = []), /never received with a 2xx: no delivery row/],
    ['a delivery never answered 2xx', (run) => (run.receivers[0].seen.get('dlv_1')!.ok = 0), /never received with a 2xx/],
    ['a delivery stuck retrying', (run) => (run.rows[0].status = 'retrying'), /stuck non-final/],
    ['the database claiming success the receiver never gave', (run) => (run.receivers[0].seen = new Map()), /disagreements/],
    ['more attempts recorded than requests received', (run) => (run.rows[0].recorded = 3), /3 attempts recorded, 1 received/],
    ['a workflow still running', (run) => (run.runningWorkflows = 2), /2 workflows still running/],
    ['a signature failure', (run) => run.receivers[0].signatureFailures.push('dlv_1: no match'), /signature failures/],
    [
      'two endpoint.failing in one streak',
      (run) =>
        (run.notifications = ['endpoint.failing', 'endpoint.failing'].map((kind) => ({
          webhook_id: 'wh_1',
          kind,
          streak: '2026-01-01T00:00:00.000Z',
        }))),
      /notified more than once/,
    ],
  ];
  it.each(broken)('fails on %s', (_label, breakIt, message) => {
    const run = givenRun();
    breakIt(run);
    expect(account(run).violations.join('\n')).toMatch(message);
  });

  it('allows one endpoint.failing per streak, however many streaks', () => {
    const run = givenRun();
    run.notifications = [
      { webhook_id: 'wh_1', kind: 'endpoint.failing', streak: '2026-01-01T00:00:00.000Z' },
      { webhook_id: 'wh_1', kind: 'endpoint.recovered', streak: null },
      { webhook_id: 'wh_1', kind: 'endpoint.failing', streak: '2026-01-01T00:00:05.000Z' },
      { webhook_id: 'wh_2', kind: 'endpoint.failing', streak: '2026-01-01T00:00:00.000Z' },
    ];
    expect(account(run).violations).toEqual([]);
  });
});
