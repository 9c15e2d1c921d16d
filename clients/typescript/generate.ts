import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/deps';
import { buildOpenApi } from '../../src/api/openapi';
import { loadConfig } from '../../src/config';

const HEADER = '// Generated from /openapi.json by `npm run client:generate`. Do not edit.\n\n';

/** The OpenAPI document, built in-process: routers register their specs when the app is made. */
export function currentSpec(): Record<string, unknown> {
  createApp({ config: loadConfig({}), log: pino({ level: 'silent' }) } as ApiDeps);
  return buildOpenApi();
}

/** The TypeScript source of clients/typescript/src/schema.ts for the current spec. */
export async function clientSchemaSource(): Promise<string> {
  const ast = await openapiTS(currentSpec() as unknown as OpenAPI3, { alphabetize: true });
  return HEADER + astToString(ast);
}
