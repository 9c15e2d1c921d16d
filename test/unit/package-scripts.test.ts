import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOOKFLOW_PROCESS } from '../../bench/harness';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

// The bench measures Hookflow's process as it ships: the same environment and Node flags as
// `npm start`, `npm run hookflow` and the Docker image.
describe('how Hookflow’s process is run', () => {
  for (const script of ['start', 'hookflow']) {
    it(`npm run ${script} execs node (no npm or tsx relay in between) with the shipped env and flags`, () => {
      const env = Object.entries(HOOKFLOW_PROCESS.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      expect(pkg.scripts[script]).toMatch(
        new RegExp(`^${env} exec node ${[...HOOKFLOW_PROCESS.nodeFlags, ...HOOKFLOW_PROCESS.sourceLoader].join(' ')} src/cli\\.ts`),
      );
    });
  }

  it('the Docker image sets the same env and flags', () => {
    for (const [k, v] of Object.entries(HOOKFLOW_PROCESS.env)) expect(dockerfile).toMatch(new RegExp(`^\\s+${k}=${v}\\b`, 'm'));
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]);
    expect(entrypoint).toEqual(['node', ...HOOKFLOW_PROCESS.nodeFlags, 'dist/src/cli.js']);
  });
});
