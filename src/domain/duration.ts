const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `"90s"`, `"5m"`, `"2h"`, `"1d"`, `"250ms"` or a number of seconds into milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`invalid duration: ${value}`);
    return Math.round(value * 1000);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!m) throw new RangeError(`invalid duration: "${value}" (use e.g. 30s, 5m, 2h, 1d)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']);
}

/** Formats milliseconds as the shortest exact unit: 300000 → "5m". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
