import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEV_DYNAMIC_CONFIG } from '../../src/temporal/dev-server';

const file = path.resolve(__dirname, '..', '..', 'deploy', 'temporal-dynamicconfig', 'hookflow.yaml');

describe('Temporal dynamic config', () => {
  it('the cluster file (docker-compose) sets what the embedded dev server sets', () => {
    const cluster = parse(fs.readFileSync(file, 'utf8')) as Record<string, { value: unknown }[]>;
    const dev = Object.fromEntries(DEV_DYNAMIC_CONFIG.map((kv) => kv.split('=')).map(([k, v]) => [k, JSON.parse(v)]));
    expect(Object.fromEntries(Object.entries(cluster).map(([k, [{ value }]]) => [k, value]))).toEqual(dev);
    expect(dev).toMatchObject({ 'matching.enableFairness': true, 'matching.useNewMatcher': true });
  });
});
