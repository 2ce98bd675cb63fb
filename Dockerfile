# syntax=docker/dockerfile:1
#
# Tide's container image (docs/deployment.md). Three stages:
#   build   - `npm ci` (compiles src/ into dist/ through `prepare`), then drops the dev dependencies;
#   engine  - downloads OpenTofu at TOFU_VERSION and refuses it unless its sha256 is TOFU_SHA256;
#   runtime - Node 22 LTS, tini as PID 1, git and ssh for templates, the engine, the app; non-root.
# Not built in this repository's CI (no container runtime there): test/deploy/dockerfile.test.ts checks
# this file statically instead.
#
# The base image is pinned by tag. For reproducible builds pin it by digest as well:
#   docker build --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:<digest> .
# (`docker buildx imagetools inspect node:22-bookworm-slim` prints the digest.)
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Compilers only for a native module (better-sqlite3, argon2) that has no prebuilt binary for the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY bin/ ./bin/
COPY src/ ./src/
# The dashboard's sources: the build (scripts/build.mjs) bundles them into dist/web.
COPY web/ ./web/
# `npm ci` installs exactly package-lock.json and builds dist/ (the `prepare` script); then the dev
# dependencies (TypeScript, test tools) go.
RUN npm ci --no-audit --no-fund \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS engine
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The engine release and the sha256 of its linux archive for the target architecture (amd64 by default;
# for arm64 pass that archive's sum from tofu_<version>_SHA256SUMS). A mismatch fails the build.
ARG TOFU_VERSION=1.10.6
ARG TOFU_SHA256=b6b46b4fd8dd0b96e624f2a2d5fbc4efae2fc0174529b37292775c847c2e7d2c
ARG TARGETARCH=amd64
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl \
  && rm -rf /var/lib/apt/lists/*
RUN test -n "${TOFU_SHA256}" || { echo "TOFU_SHA256 is empty: pass the archive's sha256" >&2; exit 1; } \
  && curl -fsSL --proto '=https' -o /tmp/tofu.tar.gz \
    "https://github.com/opentofu/opentofu/releases/download/v${TOFU_VERSION}/tofu_${TOFU_VERSION}_linux_${TARGETARCH}.tar.gz" \
  && echo "${TOFU_SHA256}  /tmp/tofu.tar.gz" | sha256sum --check --strict - \
  && tar -xzf /tmp/tofu.tar.gz -C /usr/local/bin tofu \
  && rm -f /tmp/tofu.tar.gz \
  && /usr/local/bin/tofu version

FROM ${NODE_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# A global ARG is visible inside a stage only once declared there (for the base.name label).
ARG NODE_IMAGE
ARG TIDE_UID=10001
ARG TIDE_GID=10001
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="Tide" \
  org.opencontainers.image.description="Self-hosted scheduler for OpenTofu workspaces" \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.created="${CREATED}" \
  org.opencontainers.image.documentation="docs/deployment.md" \
  org.opencontainers.image.base.name="${NODE_IMAGE}"
# tini reaps the engine's orphaned children and forwards signals to Tide; git and ssh fetch templates
# (docs/templates.md); ca-certificates for git and the engine's registry downloads. npm, npx and
# the bundled package managers are not needed at run time and go.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini git openssh-client ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
  && groupadd --system --gid "${TIDE_GID}" tide \
  && useradd --system --uid "${TIDE_UID}" --gid tide --home-dir /var/lib/tide --no-create-home \
    --shell /usr/sbin/nologin tide \
  && mkdir -p /var/lib/tide /etc/tide/config \
  && chown tide:tide /var/lib/tide \
  && chmod 0700 /var/lib/tide
COPY --from=engine /usr/local/bin/tofu /usr/local/bin/tofu
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin/ ./bin/
COPY --from=build /src/scripts/build.mjs ./scripts/build.mjs
COPY --from=build /src/node_modules/ ./node_modules/
COPY --from=build /src/dist/ ./dist/
RUN ln -s /app/bin/tide.js /usr/local/bin/tide
# The only writable places: the data directory (a volume) and /tmp (HOME and TMPDIR point there, so the
# engine and git find a writable home with a read-only root filesystem).
ENV NODE_ENV=production \
  TIDE_DATA_DIR=/var/lib/tide \
  TIDE_CONFIG_DIR=/etc/tide/config \
  TIDE_HOST=0.0.0.0 \
  TIDE_PORT=8080 \
  HOME=/tmp \
  TMPDIR=/tmp
VOLUME ["/var/lib/tide"]
EXPOSE 8080
USER ${TIDE_UID}:${TIDE_GID}
# No curl in the image: Node's fetch asks the liveness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TIDE_PORT || 8080) + '/api/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM starts Tide's graceful shutdown (TIDE_SHUTDOWN_GRACE_PERIOD, 30 s, then the engine's 10 s
# before SIGKILL): run containers with `--stop-timeout 60` (Docker's default of 10 s cuts runs short).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "tide"]
CMD ["serve"]
