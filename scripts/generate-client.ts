/**
 * Regenerates clients/typescript/src/schema.ts from the OpenAPI document the API serves
 * (`npm run client:generate`). test/unit/client-types.test.ts fails when the committed file is
 * out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { clientSchemaSource } from '../clients/typescript/generate';

const target = path.resolve(__dirname, '..', 'clients', 'typescript', 'src', 'schema.ts');

async function main() {
  fs.writeFileSync(target, await clientSchemaSource());
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
