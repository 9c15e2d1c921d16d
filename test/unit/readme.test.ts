import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config';

const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('documents exactly the variables of the config schema', () => {
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## API'));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(ConfigSchema.shape).sort());
  });

  it('has a two-command quick start: one runs Hookflow, one runs the tests', () => {
    const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Try it'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1].trim().split('\n');
    expect(block).toHaveLength(2);
    expect(block[0]).toMatch(/^npm install && npm start\s+#/);
    expect(block[1]).toMatch(/^npm test\s+#/);
  });
});
