#!/bin/sh
# How Hookflow's process runs node (npm start, npm run hookflow, the Docker image, the bench's
# hookflow processes): `sh scripts/node.sh <node flags> <script> <args>`; it execs node, so
# signals and the exit code are node's own.
#
# Memory (docs/benchmarks.md has what each saves):
# - jemalloc instead of glibc's malloc when the system has it (Debian/Ubuntu package
#   libjemalloc2): the Temporal SDK's native side fragments glibc's heap; with 10,000 deliveries
#   asleep after a 10,000-delivery run the worker grew 11 MB instead of 44 MB. HOOKFLOW_JEMALLOC=0,
#   or an LD_PRELOAD of your own, keeps glibc's. Two arenas, memory handed back after a second
#   idle (MALLOC_CONF, unless you set your own).
# - otherwise glibc with fewer arenas for the SDK's threads and large blocks handed back to the
#   system when freed (the MALLOC_* below; jemalloc ignores them).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-131072}"
if [ -z "${LD_PRELOAD:-}" ] && [ "${HOOKFLOW_JEMALLOC:-1}" != 0 ]; then
  for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 \
    /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
    if [ -r "$lib" ]; then
      export LD_PRELOAD="$lib" HOOKFLOW_PRELOADED=1
      export MALLOC_CONF="${MALLOC_CONF:-narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0}"
      break
    fi
  done
fi
exec node "$@"
