import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Epoch milliseconds with sub-millisecond resolution (one clock for publish and receipt). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, in ms rounded to 0.1. */
export function percentiles(values: ArrayLike<number>): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { p50: r(at(50)), p95: r(at(95)), p99: r(at(99)), max: r(sorted[sorted.length - 1]), mean: r(sum / sorted.length) };
}

let clkTck: number | null = null;
function ticksPerSecond(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
  rssPages: number;
}

function readProcStats(): Map<number, ProcStat> | null {
  if (process.platform !== 'linux') return null;
  const out = new Map<number, ProcStat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let raw: string;
    try {
      raw = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    // f[0] state, f[1] ppid, f[11..14] utime stime cutime cstime, f[21] rss (pages)
    out.set(Number(name), {
      pid: Number(name),
      ppid: Number(f[1]),
      ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      rssPages: Number(f[21]),
    });
  }
  return out;
}

export interface TreeSample {
  /** CPU milliseconds of the process and its descendants (dead, waited-for children included). */
  cpuMs: number;
  rssBytes: number;
}

/** CPU time and RSS of each named process tree, or trees summed (Linux /proc; null elsewhere or when gone). */
export function sampleTrees(roots: Record<string, number | number[] | null | undefined>): Record<string, TreeSample | null> {
  const stats = readProcStats();
  const result: Record<string, TreeSample | null> = {};
  if (!stats) {
    for (const k of Object.keys(roots)) result[k] = null;
    return result;
  }
  const children = new Map<number, number[]>();
  for (const s of stats.values()) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const page = 4096;
  for (const [name, root] of Object.entries(roots)) {
    const tops = (Array.isArray(root) ? root : [root]).filter((pid): pid is number => !!pid && stats.has(pid));
    if (!tops.length) {
      result[name] = null;
      continue;
    }
    let ticks = 0;
    let rss = 0;
    const stack = [...tops];
    while (stack.length) {
      const pid = stack.pop()!;
      const s = stats.get(pid);
      if (!s) continue;
      ticks += s.ticks;
      rss += s.rssPages * page;
      stack.push(...(children.get(pid) ?? []));
    }
    result[name] = { cpuMs: (ticks * 1000) / ticksPerSecond(), rssBytes: rss };
  }
  return result;
}

/** Bytes of all files under `p` (0 when missing). */
export function dirBytes(p: string | null): number | null {
  if (!p) return null;
  let total = 0;
  const walk = (q: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(q);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(q)) walk(path.join(q, e));
    } else if (st.isFile()) {
      total += st.size;
    }
  };
  if (!fs.existsSync(p)) return null;
  walk(p);
  return total;
}

export const mb = (bytes: number | null | undefined): string =>
  bytes === null || bytes === undefined ? '–' : (bytes / 1048576).toFixed(0);

export function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return v.toFixed(digits);
}

/** A plain-text table with right-aligned columns (first column left-aligned). */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
