import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOOKFLOW_PROCESS } from '../../bench/harness';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const launcher = path.join(root, HOOKFLOW_PROCESS.launcher);

/** What the launcher hands node: its environment as node sees it. */
function launchedEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LD_PRELOAD|MALLOC_|HOOKFLOW_PRELOADED|HOOKFLOW_JEMALLOC)/.test(k)),
  );
  return JSON.parse(
    execFileSync('sh', [launcher, '-p', 'JSON.stringify(process.env)'], {
      env: { ...base, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
}

const JEMALLOC = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
  '/usr/local/lib/libjemalloc.so.2',
].find((f) => fs.existsSync(f));

// The bench measures Hookflow's process as it ships: the same launcher and Node flags as
// `npm start`, `npm run hookflow` and the Docker image.
describe('how Hookflow’s process is run', () => {
  for (const script of ['start', 'hookflow']) {
    it(`npm run ${script} execs the launcher (no npm or tsx relay in between) with the shipped flags`, () => {
      const flags = [...HOOKFLOW_PROCESS.nodeFlags, ...HOOKFLOW_PROCESS.sourceLoader].join(' ');
      expect(pkg.scripts[script]).toMatch(new RegExp(`^exec sh ${HOOKFLOW_PROCESS.launcher} ${flags} src/cli\\.ts`));
    });
  }

  it('the Docker image installs jemalloc and runs the same launcher and flags', () => {
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends libjemalloc2/);
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]);
    expect(entrypoint).toEqual(['sh', HOOKFLOW_PROCESS.launcher, ...HOOKFLOW_PROCESS.nodeFlags, 'dist/src/cli.js']);
  });

  it.runIf(JEMALLOC)('the launcher preloads the system’s jemalloc, with two arenas', () => {
    const env = launchedEnv({});
    expect(env.LD_PRELOAD).toBe(JEMALLOC);
    expect(env.MALLOC_CONF).toMatch(/(^|,)narenas:2(,|$)/);
    expect(env.HOOKFLOW_PRELOADED).toBe('1');
  });

  it('the launcher keeps glibc (fewer arenas, 128 KB thresholds) when told to or given a preload of your own', () => {
    const glibc = launchedEnv({ HOOKFLOW_JEMALLOC: '0' });
    expect(glibc.LD_PRELOAD).toBeUndefined();
    expect([glibc.MALLOC_ARENA_MAX, glibc.MALLOC_MMAP_THRESHOLD_, glibc.MALLOC_TRIM_THRESHOLD_]).toEqual(['2', '131072', '131072']);
    const own = launchedEnv({ LD_PRELOAD: '/nonexistent/libmine.so' });
    expect(own.LD_PRELOAD).toBe('/nonexistent/libmine.so');
    expect(own.HOOKFLOW_PRELOADED).toBeUndefined();
  });

  it('the process keeps the preload to itself: what it starts (PostgreSQL) gets no LD_PRELOAD', () => {
    const out = execFileSync(
      'sh',
      [
        launcher,
        '--require',
        'tsx/cjs',
        '-e',
        "const a = require('./src/allocator'); console.log(JSON.stringify([a.preloadedAllocator, process.env.LD_PRELOAD ?? null]))",
      ],
      { cwd: root, env: { PATH: process.env.PATH }, encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual([JEMALLOC ?? null, null]);
  });
});
