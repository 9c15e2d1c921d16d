/**
 * `npm run chaos`: see run.ts. Exits 1 when a promise was broken, 2 when the run itself failed.
 *
 *   npm run chaos                        1,000 events, the full fault plan
 *   npm run chaos -- --short             200 events, a few faults (what CI runs)
 *   npm run chaos -- --events 500 --rate 20 --seed 7 --keep
 */
import { FULL_PLAN, SHORT_PLAN } from './faults';
import { runChaos } from './run';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const short = process.argv.includes('--short');
  const { report, text } = await runChaos({
    events: Number(arg('--events') ?? (short ? 200 : 1000)),
    rate: Number(arg('--rate') ?? 10),
    plan: short ? SHORT_PLAN : FULL_PLAN,
    seed: Number(arg('--seed') ?? 1),
    keep: process.argv.includes('--keep'),
  });
  process.stdout.write(text);
  process.exitCode = report.violations.length ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`chaos: ${(err as Error)?.stack ?? err}\n`);
  process.exit(2);
});
