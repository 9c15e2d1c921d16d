/**
 * A short chaos run (test/chaos, `npm run chaos -- --short`): about 200 events through separate
 * API and worker processes while a worker, the API and Temporal are SIGKILLed and PostgreSQL is
 * stopped. Every accepted event must be delivered, nothing stuck, the database agreeing with
 * the receivers. The full run (1,000 events, 14 faults) is `npm run chaos`; see
 * docs/reliability.md.
 */
import { describe, expect, it } from 'vitest';
import { faultCount, SHORT_PLAN } from '../chaos/faults';
import { runChaos } from '../chaos/run';

describe('chaos (short run)', () => {
  it('delivers every accepted event through worker, API and Temporal kills and a PostgreSQL outage', { timeout: 900_000 }, async () => {
    const lines: string[] = [];
    const { report, text } = await runChaos({
      events: 200,
      rate: 10,
      plan: SHORT_PLAN,
      seed: 1,
      maxRunMs: 12 * 60_000,
      log: (m) => lines.push(m),
    });
    process.stdout.write(text);
    expect(report.violations, `${text}\n${lines.join('\n')}`).toEqual([]);
    expect(report.faults).toHaveLength(faultCount(SHORT_PLAN));
    expect(report.faults.every((f) => f.recoveredAt !== null)).toBe(true);
    expect(report.eventsAccepted).toBe(200);
    expect(report.deliveriesReceived).toBe(600);
  });
});
