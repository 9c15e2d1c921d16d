import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workflowBundle } from '../../src/temporal/worker';

// Histories written by earlier versions of the delivery workflow (see record.ts beside them)
// must replay on the current code: a change that is not guarded by `patched()` makes the
// workflows in flight at an upgrade fail with a non-determinism error, and this test with them.

const dir = path.resolve(__dirname, '..', 'fixtures', 'histories');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  } catch {
    /* installed by another test of this process */
  }
});

describe('recorded delivery histories', () => {
  it('has histories from before and after each workflow patch', () => {
    expect(files.some((f) => f.startsWith('before-local-first-attempt-'))).toBe(true);
    expect(files.some((f) => f.startsWith('local-first-attempt-'))).toBe(true);
    expect(files.some((f) => f.startsWith('close-failed-'))).toBe(true);
  });

  it('replays every recorded history on the current workflow code', async () => {
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
