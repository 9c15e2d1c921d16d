/** The chaos run's printed summary: the books, the fault timeline and each fault's effect. */
import type { Report } from './accounting';

const s = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

export function formatReport(r: Report, extra: { durationMs: number; treatments: Record<string, Record<string, number>> }): string {
  const ratio = r.deliveriesReceived ? ((100 * r.duplicates) / r.deliveriesReceived).toFixed(2) : '0.00';
  const lines = [
    '',
    '## Chaos run',
    '',
    '| what | count |',
    '|---|---|',
    `| faults injected | ${r.faults.length} (${summariseFaults(r)}) |`,
    `| events published / accepted | ${r.eventsPublished} / ${r.eventsAccepted} (${r.publishTries} requests, ${r.publishErrors} errors re-sent) |`,
    `| deliveries expected | ${r.deliveriesExpected} |`,
    `| deliveries received with a 2xx | ${r.deliveriesReceived} |`,
    `| missing | ${r.missing} |`,
    `| duplicates (2xx beyond the first) | ${r.duplicates} (${ratio} %) |`,
    `| stuck non-final | ${r.stuck} |`,
    `| database ≠ receivers | ${r.disagreements} |`,
    `| workflows still running | ${r.runningWorkflows} |`,
    `| signature failures | ${r.signatureFailures} |`,
    `| requests at the receivers | ${r.requests} |`,
    `| notifications | ${r.notifications} |`,
    `| run time | ${s(extra.durationMs)} |`,
    '',
    '| t | fault | recovered after | publish errors | max dispatch lag |',
    '|---|---|---|---|---|',
    ...r.faults.map(
      (f) =>
        `| ${s(f.at)} | ${f.kind} ${f.target} | ${f.recoveredAt === null ? 'never' : s(f.recoveredAt - f.at)} | ${f.publishErrors} | ${s(f.maxDispatchLagMs)} |`,
    ),
    '',
    `receiver treatments: ${Object.entries(extra.treatments)
      .map(
        ([name, t]) =>
          `${name} ${Object.entries(t)
            .map(([k, v]) => `${k}×${v}`)
            .join(' ')}`,
      )
      .join('; ')}`,
    '',
    r.violations.length
      ? `FAILED:\n${r.violations.map((v) => `  - ${v}`).join('\n')}`
      : 'PASSED: every accepted event delivered, nothing stuck, the database agrees with the receivers.',
    '',
  ];
  return lines.join('\n');
}

function summariseFaults(r: Report): string {
  const counts = new Map<string, number>();
  for (const f of r.faults) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
}
