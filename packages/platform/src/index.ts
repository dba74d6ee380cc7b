/**
 * @kassa/platform — the machinery every Kassa service shares. This file is the package's
 * whole public face; nothing imports its internals.
 *
 * - Service runtime: {@link defineService} describes a service, {@link runService} is its
 *   `main.ts`, {@link startService} starts it in-process (tests). One port serves gRPC,
 *   Connect and gRPC-Web over HTTP/1.1 and HTTP/2, plus `/health`, `/health/live`,
 *   `/health/ready` and `/metrics` (and a service's own {@link HttpRoute}s, such as provider
 *   notifications): cleartext (h2c), or TLS with ALPN and optionally mutual
 *   TLS ({@link loadTlsSettings}: `TLS_CERT_FILE`, `TLS_KEY_FILE`, `TLS_CA_FILE`,
 *   `TLS_CLIENT_AUTH`).
 * - Health: {@link Checker}, {@link createHealthMonitor} (with hysteresis), built-in Postgres,
 *   Redis and dependency checks, grpc.health.v1, {@link watchDependencyHealth} (a dependency's
 *   own readiness, pushed over its Watch stream).
 * - Resilience: {@link createResilientClient} (deadline + {@link createDependencyBreaker} +
 *   {@link retryIdempotent} for idempotent methods only); the deadline is capped by what is
 *   left of the inbound call's (the runtime records it), and {@link isCallerBudgetError} /
 *   {@link isBudgetSpentBeforeCall} tell a spent budget from a dependency's failure.
 * - Storage: {@link openDatabase} (postgres.js under drizzle), {@link RedisStore}
 *   (commands, counters in fixed windows ({@link WindowCounter}), and lossy pub/sub such as
 *   the {@link settlementHintChannel}).
 * - Access: {@link ServiceAccess} (internal and admin tokens), enforced by the runtime.
 * - Domain: {@link createId} (prefixed ULIDs), {@link currencyExponent} (ISO 4217),
 *   {@link requestFields} (INVALID_ARGUMENT naming the field), {@link rpcErrors} (the error
 *   catalogue), {@link encodePageToken} / {@link decodePageToken} / {@link pageSizeOf}.
 * - Input hygiene, run by the runtime on every request: {@link createInputHygieneInterceptor}
 *   refuses text that cannot be stored ({@link unstorableText}), naming the field in
 *   {@link fieldPath} notation.
 * - Config, logging, metrics, clock: {@link loadConfig}, {@link createLogger} (errors logged by
 *   {@link serializeError}: never a query's parameters), {@link createServiceMetrics},
 *   {@link Clock}. {@link Secret} holds tokens and personal data, printing masked.
 */

export {
  bearerToken,
  createAccessInterceptor,
  presentBearerToken,
  type ServiceAccess,
  type ServiceTokens,
} from "./auth/service-access.js";
export { ConfigError, type ConfigProblem } from "./config/config-error.js";
export { envFields } from "./config/env-fields.js";
export { type Env, loadConfig } from "./config/load-config.js";
export { Secret } from "./config/secret.js";
export {
  baseEnvSchema,
  type DependencyConfig,
  dependencyEnvSchema,
} from "./config/service-config.js";
export { apiKeyCacheKey, apiKeyDigest } from "./domain/api-key-digest.js";
export { eachInOneTransaction, maxBatchItems } from "./domain/batch-request.js";
export { currencyExponent, isCurrency } from "./domain/currency.js";
export { fieldPath } from "./domain/field-path.js";
export { createId, isId } from "./domain/ids.js";
export {
  decodePageToken,
  encodePageToken,
  pageOf,
  pageSizeOf,
  pageSizes,
} from "./domain/page-token.js";
export { maxAmount, requestFields } from "./domain/request-fields.js";
export { rpcErrors } from "./domain/rpc-errors.js";
export {
  encodeSettlementHint,
  parseSettlementHint,
  type SettlementHint,
  settlementHintChannel,
} from "./domain/settlement-hint.js";
export { type TextViolation, unstorableText } from "./domain/unstorable-text.js";
export type {
  Checker,
  CheckReport,
  CheckResult,
  HealthReport,
  HealthStatus,
} from "./health/checker.js";
export { createDependencyCheck, type DependencyCheckOptions } from "./health/dependency-check.js";
export {
  createDependencyStatus,
  type DependencyHealth,
  type DependencyHealthOptions,
  type DependencyServingStatus,
  type DependencyStatus,
  watchDependencyHealth,
} from "./health/dependency-health.js";
export { createGrpcHealthService } from "./health/grpc-health-service.js";
export {
  createHealthMonitor,
  type HealthChange,
  type HealthMonitor,
  type HealthMonitorOptions,
  type ServicePhase,
} from "./health/health-monitor.js";
export { answerHealthRoute, healthBody } from "./health/health-routes.js";
export { createPostgresCheck, type PostgresCheckOptions } from "./health/postgres-check.js";
export { createRedisCheck, type RedisCheckOptions } from "./health/redis-check.js";
export { type Clock, systemClock } from "./observability/clock.js";
export { errorCodeName } from "./observability/error-code-name.js";
export { type LoggedError, serializeError } from "./observability/error-serializer.js";
export { createLogger, type Logger, type LoggerConfig } from "./observability/logger.js";
export { createServiceMetrics, type ServiceMetrics } from "./observability/metrics.js";
export {
  activeTraceparent,
  createTracing,
  linksTo,
  type Tracing,
  type TracingConfig,
  tracingOff,
} from "./observability/tracing.js";
export { isBudgetSpentBeforeCall, isCallerBudgetError } from "./resilience/deadline-budget.js";
export {
  type BreakerPolicy,
  type BreakerState,
  createDependencyBreaker,
  type DependencyBreaker,
  type DependencyBreakerOptions,
  defaultBreakerPolicy,
  isCircuitOpenError,
} from "./resilience/dependency-breaker.js";
export {
  createResilientClient,
  type ResilientClientOptions,
} from "./resilience/resilient-client.js";
export {
  defaultRetryPolicy,
  isIdempotent,
  type RetryPolicy,
  retryIdempotent,
} from "./resilience/retry-idempotent.js";
export { isTransientError, transientCodes } from "./resilience/transient-error.js";
export {
  type FetchWithTlsInit,
  type FetchWithTlsResponse,
  fetchWithTls,
} from "./server/fetch-with-tls.js";
export type {
  HttpRoute,
  HttpRouteRequest,
  HttpRouteResponse,
} from "./server/http-route.js";
export { createInputHygieneInterceptor } from "./server/input-hygiene.js";
export {
  createObserveInterceptor,
  type RequestContext,
  requestContext,
  requestContextKey,
} from "./server/observe-rpc.js";
export {
  createOnePortServer,
  type OnePortServer,
  type OnePortServerOptions,
} from "./server/one-port-server.js";
export {
  type AnyServiceDefinition,
  type BaseConfig,
  type DependencyServices,
  defineService,
  type ServiceConfig,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceParts,
} from "./server/service-definition.js";
export {
  loadServiceConfig,
  migrateService,
  type RunningService,
  runService,
  type StartServiceOptions,
  startService,
} from "./server/service-runtime.js";
export {
  loadTlsSettings,
  readTlsFiles,
  type TlsClientOptions,
  type TlsConfig,
  type TlsFileSetting,
  type TlsSettings,
} from "./server/tls-settings.js";
export {
  type Database,
  type DatabaseHandle,
  type DatabaseOptions,
  type MigrationOptions,
  openDatabase,
  type PoolUsage,
} from "./storage/database.js";
export { type DatabaseRefusal, databaseRefusalOf } from "./storage/database-error.js";
export { columnList, insertSelect } from "./storage/insert-select.js";
export type { RedisStoreOptions } from "./storage/ioredis-store.js";
export { createMemoryRedisStore } from "./storage/memory-redis-store.js";
export type {
  RedisStore,
  SetOptions,
  Subscription,
  WindowCounter,
} from "./storage/redis-store.js";
export { createRedisStore } from "./storage/redis-store-loader.js";
