# One image for all six Kassa services; docker-compose.yml picks the service by command.
#   docker build -t kassa .
#   docker run --rm -e ... kassa node services/order/dist/main.js

FROM node:22-slim AS build
WORKDIR /app
# Manifests first, so dependency layers are cached across source changes.
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/platform/package.json packages/platform/
COPY packages/cli/package.json packages/cli/
COPY packages/cli/bin packages/cli/bin
COPY services/gateway/package.json services/gateway/
COPY services/merchant/package.json services/merchant/
COPY services/order/package.json services/order/
COPY services/channel/package.json services/channel/
COPY services/risk/package.json services/risk/
COPY services/accounting/package.json services/accounting/
# The image's own Node runs everything, so the `node` devDependency's download is skipped;
# gen/ is checked in, so buf is not needed either.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx turbo run build --filter='./services/*' \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf gen proto bench packages/*/src services/*/src .turbo

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
# Each service listens on one port (8080-8085) for gRPC, Connect, gRPC-Web and probes.
EXPOSE 8080 8081 8082 8083 8084 8085
CMD ["node", "services/gateway/dist/main.js"]
