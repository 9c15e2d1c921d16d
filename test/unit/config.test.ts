import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config';

/** The variable names a ConfigError message lists, one per `  NAME: message` line. */
function namedVariables(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as Error).message.matchAll(/^ {2}([A-Z_]+):/gm)].map((m) => m[1]).sort();
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig: defaults', () => {
  const config = loadConfig({});
  const table: [string, unknown][] = [
    ['PORT', 3000],
    ['HOST', '127.0.0.1'],
    ['DATABASE_URL', undefined],
    ['TEMPORAL_ADDRESS', undefined],
    ['TEMPORAL_NAMESPACE', 'default'],
    ['TEMPORAL_TASK_QUEUE', 'hookflow'],
    ['HOOKFLOW_DATA_DIR', './.hookflow'],
    ['HOOKFLOW_ENCRYPTION_KEY', undefined],
    ['HOOKFLOW_BOOTSTRAP_API_KEY', undefined],
    ['HOOKFLOW_ALLOW_PRIVATE_TARGETS', ''],
    ['HOOKFLOW_MAX_WEBHOOKS', 25],
    ['HOOKFLOW_MAX_PAYLOAD_BYTES', 256 * 1024],
    ['HOOKFLOW_MAX_DISPATCH_BACKLOG', 10_000],
    ['HOOKFLOW_WORKER_SLOTS', 64],
    ['HOOKFLOW_RECONCILE_AFTER_S', 10],
    ['HOOKFLOW_SECRET_ROTATION_OVERLAP_S', 86_400],
    ['NODE_ENV', 'development'],
    ['LOG_LEVEL', 'info'],
    ['HOOKFLOW_EAGER', true],
  ];
  it.each(table)('%s defaults to %j', (name, expected) => {
    expect((config as Record<string, unknown>)[name]).toStrictEqual(expected);
  });

  it('resolves dataDir to an absolute path of the default data dir', () => {
    expect(config.dataDir).toBe(path.resolve('./.hookflow'));
    expect(path.isAbsolute(config.dataDir)).toBe(true);
  });

  it('ignores unrelated environment variables', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).PORT).toBe(3000);
  });
});

describe('loadConfig: parsed values', () => {
  const key = randomBytes(32).toString('base64');
  const table: [string, NodeJS.ProcessEnv, string, unknown][] = [
    ['PORT is a number', { PORT: '8080' }, 'PORT', 8080],
    ['NODE_ENV production', { NODE_ENV: 'production' }, 'NODE_ENV', 'production'],
    ['NODE_ENV test', { NODE_ENV: 'test' }, 'NODE_ENV', 'test'],
    ['HOOKFLOW_EAGER=false disables eager start', { HOOKFLOW_EAGER: 'false' }, 'HOOKFLOW_EAGER', false],
    ['HOOKFLOW_EAGER=0 disables eager start', { HOOKFLOW_EAGER: '0' }, 'HOOKFLOW_EAGER', false],
    ['HOOKFLOW_EAGER=yes enables eager start', { HOOKFLOW_EAGER: 'yes' }, 'HOOKFLOW_EAGER', true],
    ['a 32-byte encryption key is kept', { HOOKFLOW_ENCRYPTION_KEY: key }, 'HOOKFLOW_ENCRYPTION_KEY', key],
    ['DATABASE_URL is kept', { DATABASE_URL: 'postgres://u:p@db:5432/hookflow' }, 'DATABASE_URL', 'postgres://u:p@db:5432/hookflow'],
    ['HOOKFLOW_MAX_WEBHOOKS is a number', { HOOKFLOW_MAX_WEBHOOKS: '100' }, 'HOOKFLOW_MAX_WEBHOOKS', 100],
  ];
  it.each(table)('%s', (_label, env, name, expected) => {
    expect((loadConfig(env) as Record<string, unknown>)[name]).toStrictEqual(expected);
  });

  it('treats empty variables as unset', () => {
    const c = loadConfig({ PORT: '', HOOKFLOW_EAGER: '', HOOKFLOW_MAX_WEBHOOKS: ' ', HOOKFLOW_ENCRYPTION_KEY: '' });
    expect(c.PORT).toBe(3000);
    expect(c.HOOKFLOW_EAGER).toBe(true);
    expect(c.HOOKFLOW_MAX_WEBHOOKS).toBe(25);
    expect(c.HOOKFLOW_ENCRYPTION_KEY).toBeUndefined();
  });

  it('resolves HOOKFLOW_DATA_DIR into dataDir', () => {
    expect(loadConfig({ HOOKFLOW_DATA_DIR: '/var/lib/hookflow' }).dataDir).toBe('/var/lib/hookflow');
    expect(loadConfig({ HOOKFLOW_DATA_DIR: 'rel/dir' }).dataDir).toBe(path.resolve('rel/dir'));
  });
});

describe('loadConfig: invalid values stop start-up naming the variable', () => {
  const b64 = (n: number) => randomBytes(n).toString('base64');
  const table: [string, NodeJS.ProcessEnv, string[]][] = [
    ['PORT=abc', { PORT: 'abc' }, ['PORT']],
    ['PORT=70000', { PORT: '70000' }, ['PORT']],
    ['PORT=-1', { PORT: '-1' }, ['PORT']],
    ['PORT=80.5', { PORT: '80.5' }, ['PORT']],
    ['a 16-byte encryption key', { HOOKFLOW_ENCRYPTION_KEY: b64(16) }, ['HOOKFLOW_ENCRYPTION_KEY']],
    ['a 31-byte encryption key', { HOOKFLOW_ENCRYPTION_KEY: b64(31) }, ['HOOKFLOW_ENCRYPTION_KEY']],
    ['a 33-byte encryption key', { HOOKFLOW_ENCRYPTION_KEY: b64(33) }, ['HOOKFLOW_ENCRYPTION_KEY']],
    ['NODE_ENV=staging', { NODE_ENV: 'staging' }, ['NODE_ENV']],
    ['LOG_LEVEL=verbose', { LOG_LEVEL: 'verbose' }, ['LOG_LEVEL']],
    ['DATABASE_URL that is not a URL', { DATABASE_URL: 'not a url' }, ['DATABASE_URL']],
    ['a bootstrap API key under 16 characters', { HOOKFLOW_BOOTSTRAP_API_KEY: 'short' }, ['HOOKFLOW_BOOTSTRAP_API_KEY']],
    ['HOOKFLOW_EAGER=maybe', { HOOKFLOW_EAGER: 'maybe' }, ['HOOKFLOW_EAGER']],
    ['HOOKFLOW_MAX_WEBHOOKS=0', { HOOKFLOW_MAX_WEBHOOKS: '0' }, ['HOOKFLOW_MAX_WEBHOOKS']],
    [
      'a rotation overlap over 30 days',
      { HOOKFLOW_SECRET_ROTATION_OVERLAP_S: String(31 * 86_400) },
      ['HOOKFLOW_SECRET_ROTATION_OVERLAP_S'],
    ],
    ['two bad variables at once', { PORT: 'abc', NODE_ENV: 'staging' }, ['NODE_ENV', 'PORT']],
  ];
  it.each(table)('%s → a ConfigError naming %j', (_label, env, names) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(namedVariables(env)).toEqual(names);
  });

  it('the message starts with "invalid configuration"', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/^invalid configuration:\n {2}PORT: /);
  });
});
