/**
 * `npm run bench -- [options]`: ceiling, naive Temporal floor, the design's limit and Hookflow
 * (see docs/benchmarks.md). Progress on stderr; the report and one `BENCH_JSON {...}` line on
 * stdout. Exit code 1 when a signature fails verification, a delivery goes missing or anything
 * else fails; 2 for a bad command line.
 */
import { runBench } from './harness';
import { parseBenchArgs, USAGE } from './options';
import { renderReport } from './report';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let opts;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = () => {
    if (++interrupted > 1) process.exit(130);
    process.stderr.write('[bench] interrupted: stopping workers, Temporal and PostgreSQL (again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const result = await runBench({ ...opts, signal: controller.signal });
  process.stdout.write(`${renderReport(result)}\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
