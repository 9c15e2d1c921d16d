import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** node_modules/.cache/hookflow: generated code (bundles) kept between starts. */
const cacheDir = path.resolve(require.resolve('@temporalio/worker/package.json'), '..', '..', '..', '.cache', 'hookflow');

/** A short hash of the .ts/.js/.css/.html files under `dirs` (recursively) and `extra` strings. */
export function hashSources(dirs: string[], extra: string[] = []): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js|css|html)$/.test(e.name)) hash.update(p.slice(dir.length)).update(fs.readFileSync(p));
    }
  };
  for (const d of dirs) walk(d);
  for (const x of extra) hash.update(x);
  return hash.digest('hex').slice(0, 16);
}

/** The cached file `name`, or `produce()`'s result written there first (atomically). */
export async function cachedFile(name: string, produce: () => Promise<string>): Promise<string> {
  const file = path.join(cacheDir, name);
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    /* not cached yet */
  }
  const text = await produce();
  try {
    await fs.promises.mkdir(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, text);
    await fs.promises.rename(tmp, file);
  } catch {
    /* a read-only install produces it at every start */
  }
  return text;
}
