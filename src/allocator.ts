/**
 * The allocator scripts/node.sh preloaded into this process (jemalloc's path), or null for
 * glibc's malloc. Imported first by the entry points: the preload is kept out of the processes
 * this one starts (the embedded PostgreSQL runs with its own allocator).
 */
export const preloadedAllocator: string | null = process.env.HOOKFLOW_PRELOADED ? (process.env.LD_PRELOAD ?? null) : null;

if (process.env.HOOKFLOW_PRELOADED) {
  delete process.env.LD_PRELOAD;
  delete process.env.MALLOC_CONF;
  delete process.env.HOOKFLOW_PRELOADED;
}
