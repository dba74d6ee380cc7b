# syntax=docker/dockerfile:1
# One image for all six Kassa services; the command picks the service:
#   docker build -t kassa .
#   docker run --rm -e KASSA_INTERNAL_TOKEN=... kassa node services/order/dist/main.js
# docker-compose.yml and deploy/k8s run it this way. Besides Node, the image has a shell and
# coreutils (node:22-slim is Debian), which the Kubernetes preStop `sleep` and probes use, and
# /usr/local/bin/grpc_health_probe.

FROM node:22-slim AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
# Manifests first, so the dependency layer is cached across source changes. Every workspace's
# package.json is needed for `npm ci` (deployment-manifests.test.ts checks none is missing).
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/platform/package.json packages/platform/
COPY packages/webhooks/package.json packages/webhooks/
COPY apps/cli/package.json apps/cli/
COPY apps/cli/bin apps/cli/bin
COPY services/gateway/package.json services/gateway/
COPY services/merchant/package.json services/merchant/
COPY services/order/package.json services/order/
COPY services/channel/package.json services/channel/
COPY services/risk/package.json services/risk/
COPY services/accounting/package.json services/accounting/
# The image's own Node runs everything, so the `node` devDependency's download is skipped
# (no production dependency needs an install script); gen/ is checked in, so buf is not needed.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Build the services (and the packages they use), drop dev dependencies and the sources.
RUN npx turbo run build --filter='./services/*' \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf gen proto .turbo packages/*/src services/*/src apps/*/src

# grpc_health_probe, for exec probes: the kubelet's native gRPC probe speaks cleartext only, so
# services serving TLS are probed with it (deploy/k8s/tls, docker-compose.tls.yml). A pinned
# release whose SHA-256 is checked: a different or tampered download fails the build. The
# sums are those of v0.4.34's release assets (the ones Cilium's image build also pins); to
# upgrade, change the version and both sums, from the new release's checksums.txt, together.
FROM node:22-slim AS health-probe
ARG TARGETARCH
ARG GRPC_HEALTH_PROBE_VERSION=v0.4.34
ADD https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/${GRPC_HEALTH_PROBE_VERSION}/grpc_health_probe-linux-${TARGETARCH} /tmp/grpc_health_probe
RUN case "${GRPC_HEALTH_PROBE_VERSION}/${TARGETARCH}" in \
      v0.4.34/amd64) sum=3ddaf85583613c97693e9b8aaa251dac07e73e366e159a7ccadbcf553117fcef ;; \
      v0.4.34/arm64) sum=5e17ff4c055f075b58a1cd7ec37843d989cd0072340222a4fd0730773382027e ;; \
      *) echo "no known checksum for grpc_health_probe ${GRPC_HEALTH_PROBE_VERSION}/${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && echo "${sum}  /tmp/grpc_health_probe" | sha256sum -c - \
 && install -m 0755 /tmp/grpc_health_probe /usr/local/bin/grpc_health_probe

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the service: the process cannot rewrite its own code.
COPY --from=build /app /app
COPY --from=health-probe /usr/local/bin/grpc_health_probe /usr/local/bin/grpc_health_probe
# The one writable place: embedded PGlite's files when DATABASE_URL is unset (`docker run`
# without Postgres). Compose and Kubernetes always set DATABASE_URL.
RUN mkdir -p /app/.data && chown 1000:1000 /app/.data
# The image's `node` user, numerically, so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# Each service listens on one port (8080-8085) for gRPC, Connect, gRPC-Web, probes and metrics.
EXPOSE 8080 8081 8082 8083 8084 8085
CMD ["node", "services/gateway/dist/main.js"]
