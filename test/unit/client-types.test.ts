import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientSchemaSource } from '../../clients/typescript/generate';

describe('typed TypeScript client', () => {
  it('the committed generated types match the current OpenAPI document (npm run client:generate)', async () => {
    const committed = fs.readFileSync(path.resolve(__dirname, '../../clients/typescript/src/schema.ts'), 'utf8');
    expect(committed === (await clientSchemaSource()), 'clients/typescript/src/schema.ts is stale: run npm run client:generate').toBe(true);
  });
});
