import { setMaxListeners } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@kassa/contracts/grpc/health/v1/health_pb";
import { ServerReflection } from "@kassa/contracts/grpc/reflection/v1/reflection_pb";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { z } from "zod";
import { createAccessInterceptor } from "../auth/service-access.js";
import { ConfigError, type ConfigProblem } from "../config/config-error.js";
import { type Env, loadConfig } from "../config/load-config.js";
import {
  baseEnvSchema,
  type DependencyConfig,
  loadDependencyConfig,
} from "../config/service-config.js";
import type { Checker } from "../health/checker.js";
import type { DependencyHealth } from "../health/dependency-health.js";
import { createGrpcHealthService } from "../health/grpc-health-service.js";
import { createHealthMonitor } from "../health/health-monitor.js";
import { createPostgresCheck } from "../health/postgres-check.js";
import { createRedisCheck } from "../health/redis-check.js";
import { type Clock, systemClock } from "../observability/clock.js";
import { createLogger } from "../observability/logger.js";
import { createServiceMetrics } from "../observability/metrics.js";
import { createTracing, type Tracing } from "../observability/tracing.js";
import { createDeadlineBudgetInterceptor } from "../resilience/deadline-budget.js";
import { type DatabaseHandle, openDatabase } from "../storage/database.js";
import { createMemoryRedisStore } from "../storage/memory-redis-store.js";
import { createRedisStore } from "../storage/redis-store-loader.js";
import { createSharedRedisStandIn } from "../storage/shared-redis-stand-in.js";
import { traceRedis } from "../storage/traced-storage.js";
import { connectDependencies } from "./dependency-clients.js";
import { createGrpcReflectionService } from "./grpc-reflection-service.js";
import { createInputHygieneInterceptor, strictJsonOptions } from "./input-hygiene.js";
import { createObserveInterceptor } from "./observe-rpc.js";
import { createOnePortServer } from "./one-port-server.js";
import { withPlainRoutes } from "./plain-routes.js";
import type {
  BaseConfig,
  DependencyServices,
  ServiceConfig,
  ServiceContext,
  ServiceDefinition,
  ServiceParts,
} from "./service-definition.js";
import { loadTlsSettings, tlsConfigProblems } from "./tls-settings.js";
import { createServerTracingInterceptor } from "./trace-rpc.js";

/** Options for {@link startService}. */
export interface StartServiceOptions {
  /** Environment to read. Default `process.env`. */
  env?: Env;
  /** Default the system clock; tests pass a fake one. */
  clock?: Clock;
  /** Where logs go. Default stdout. */
  logDestination?: NodeJS.WritableStream;
  /**
   * Where spans go, each as it ends, instead of the OTLP endpoint; turns tracing on (tests
   * pass an in-memory exporter).
   */
  spanExporter?: SpanExporter;
}

/** A started service. */
export interface RunningService<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends z.ZodRawShape,
> {
  /** The bound port (the real one when PORT=0). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` (`https://` with TLS), for clients in the same machine. */
  readonly url: string;
  readonly context: ServiceContext<Schema, Deps, EnvShape>;
  /**
   * Shuts down gracefully: readiness 503 and gRPC NOT_SERVING first, keep serving for
   * SHUTDOWN_DELAY_MS, stop accepting, let in-flight calls finish (up to
   * SHUTDOWN_TIMEOUT_MS), then close Redis and the database. Calling it again returns the
   * same promise.
   */
  stop(): Promise<void>;
}

/**
 * Reads the whole configuration of a service, reporting every bad variable at once.
 *
 * @throws ConfigError naming each missing or invalid variable.
 */
export function loadServiceConfig<Deps extends DependencyServices, EnvShape extends z.ZodRawShape>(
  definition: Pick<
    ServiceDefinition<never, Deps, EnvShape>,
    "defaultPort" | "dependencies" | "env" | "access"
  >,
  env: Env,
): ServiceConfig<EnvShape, Deps> {
  const problems: ConfigProblem[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const base = attempt(() => loadConfig(baseEnvSchema(definition.defaultPort), env));
  if (base) problems.push(...tlsConfigProblems(base));
  const own = attempt(() => loadConfig(z.object(definition.env), env));
  const dependencies: Record<string, DependencyConfig | undefined> = {};
  for (const name of Object.keys(definition.dependencies)) {
    dependencies[name] = attempt(() => loadDependencyConfig(name, env));
  }
  const needsAdminToken =
    definition.access.kind === "internal" && (definition.access.adminMethods ?? []).length > 0;
  if (needsAdminToken && !env.KASSA_ADMIN_TOKEN) {
    problems.push({ variable: "KASSA_ADMIN_TOKEN", message: "is required" });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...base, ...own, dependencies } as ServiceConfig<EnvShape, Deps>;
}

/** Starts a service: storage, migrations, clients, health, then the one-port server. */
export async function startService<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends z.ZodRawShape,
>(
  definition: ServiceDefinition<Schema, Deps, EnvShape>,
  options: StartServiceOptions = {},
): Promise<RunningService<Schema, Deps, EnvShape>> {
  const config = loadServiceConfig(definition, options.env ?? process.env);
  // Certificates, key and CA are read here, once: replacing them takes a restart.
  const tls = loadTlsSettings(config);
  const { name } = definition;
  const tracing = createTracing({
    service: name,
    config,
    ...(options.spanExporter && { exporter: options.spanExporter }),
  });
  const logger = createLogger({
    service: name,
    level: config.LOG_LEVEL,
    traceIds: tracing.enabled,
    ...(options.logDestination && { destination: options.logDestination }),
  });
  const metrics = createServiceMetrics(name);
  const clock = options.clock ?? systemClock;
  // Built first: it rejects a misconfigured definition before any storage is opened.
  const access = createAccessInterceptor(definition.service, definition.access, {
    internal: config.KASSA_INTERNAL_TOKEN,
    admin: config.KASSA_ADMIN_TOKEN,
  });

  const database = await openMigratedDatabase(definition, config, {
    maxConnections: config.DATABASE_POOL_SIZE,
    tracing,
  });
  const redis = traceRedis(
    config.REDIS_URL
      ? await createRedisStore({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
          connectionName: `kassa-${name}`,
          clock,
          logger,
        })
      : config.KASSA_SHARED_REDIS_STAND_IN && process.send
        ? createSharedRedisStandIn()
        : createMemoryRedisStore(() => clock.now().getTime()),
    tracing,
  );
  const dependencies = connectDependencies(definition.dependencies, config.dependencies, {
    token: config.KASSA_INTERNAL_TOKEN,
    logger,
    metrics,
    tracing,
    tls: tls.client,
  });
  const closeStorage = async () => {
    dependencies.close();
    await Promise.allSettled([redis.close(), database.close()]);
    await tracing.shutdown();
  };

  const checks: Checker[] = [
    createPostgresCheck(database),
    createRedisCheck(redis),
    ...dependencies.checks,
  ];
  const health = createHealthMonitor({
    checks,
    timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    cacheMs: config.HEALTH_CACHE_MS,
    pollIntervalMs: config.HEALTH_POLL_INTERVAL_MS,
    failureThreshold: config.HEALTH_FAILURE_THRESHOLD,
    successThreshold: config.HEALTH_SUCCESS_THRESHOLD,
    logger,
    metrics,
  });
  // A dependency's health stream says the moment it changes: readiness and Watch follow it
  // then, not a poll later (services starting together become ready in a cascade).
  for (const dependency of Object.values<DependencyHealth>(dependencies.health)) {
    dependency.onChange(() => health.refresh());
  }
  const draining = new AbortController();
  const context: ServiceContext<Schema, Deps, EnvShape> = {
    name,
    config,
    logger,
    clock,
    metrics,
    tracing,
    db: database.db,
    database,
    redis,
    clients: dependencies.clients,
    breakers: dependencies.breakers,
    dependencyHealth: dependencies.health,
    health,
    shutdownSignal: draining.signal,
  };
  let parts: ServiceParts;
  try {
    parts = definition.setup(context);
  } catch (error) {
    await closeStorage();
    throw error;
  }
  // The monitor reads `checks` on every evaluation, so the service's own can join now.
  checks.push(...(parts.checks ?? []));

  // Aborted only when the drain times out: in-flight handlers see their signal fire then.
  const abandon = new AbortController();
  // Connect ties every in-flight call's signal to this one: one listener per call.
  setMaxListeners(0, abandon.signal);
  const rpc = connectNodeAdapter({
    routes: (router: ConnectRouter) => {
      router.service(Health, createGrpcHealthService(health, [definition.service.typeName]));
      router.service(
        ServerReflection,
        createGrpcReflectionService([definition.service, Health, ServerReflection]),
      );
      parts.routes(router);
    },
    interceptors: [
      // First, so the request's log lines and every later interceptor run inside its span.
      createServerTracingInterceptor(tracing),
      createObserveInterceptor(logger, metrics),
      access,
      createInputHygieneInterceptor(),
      createDeadlineBudgetInterceptor(),
      ...(parts.interceptors ?? []),
    ],
    jsonOptions: strictJsonOptions,
    shutdownSignal: abandon.signal,
  });
  const server = createOnePortServer(
    withPlainRoutes(rpc, {
      service: name,
      health,
      registry: metrics.registry,
      logger,
      httpRoutes: parts.httpRoutes ?? [],
    }),
    {
      ...(tls.server && { tls: tls.server }),
      onTlsError: (error) => logger.debug({ err: error }, "TLS handshake failed"),
    },
  );
  let port: number;
  try {
    port = await server.listen(config.PORT, config.HOST);
  } catch (error) {
    await closeStorage();
    throw error;
  }
  health.start();
  health.setPhase("serving");
  const url = `${tls.server ? "https" : "http"}://127.0.0.1:${port}`;
  const background = Promise.resolve(parts.background?.({ url })).catch((error: unknown) => {
    logger.error({ err: error }, "background work failed");
  });
  logger.info(
    {
      port,
      tls: tls.server ? (config.TLS_CLIENT_AUTH === "require" ? "mutual" : "on") : "off",
      database: config.KASSA_EMBEDDED ? "embedded" : "postgres",
      redis: redis.kind,
      dependencies: Object.keys(definition.dependencies),
    },
    `${name} listening on port ${port}`,
  );

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    health.setPhase("draining");
    draining.abort();
    if (config.SHUTDOWN_DELAY_MS > 0) await delay(config.SHUTDOWN_DELAY_MS);
    server.stopAccepting();
    health.close();
    const drained = await server.drained(config.SHUTDOWN_TIMEOUT_MS);
    if (!drained) {
      logger.warn({ in_flight: server.activeRequests }, "drain timed out; abandoning calls");
      abandon.abort(new ConnectError("server is shutting down", Code.Unavailable));
    }
    server.destroy();
    // Background work (relays, reconcilers) saw shutdownSignal at the start; let it finish
    // its current step before its storage goes away.
    await Promise.race([background, delay(config.SHUTDOWN_TIMEOUT_MS)]);
    await closeStorage();
    logger.info(`${name} stopped`);
  };
  return {
    port,
    url,
    context,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

/**
 * The `main.ts` of every service: starts it from `process.env`, exits 1 naming the variable
 * when the configuration is bad, and shuts down gracefully on SIGTERM or SIGINT (exit 0).
 * A second signal during the drain ends the process at once (exit 1). A service started by
 * the `kassa start` launcher also shuts down when the launcher goes away, so no process is
 * ever orphaned.
 */
export async function runService<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends z.ZodRawShape,
>(
  definition: ServiceDefinition<Schema, Deps, EnvShape>,
): Promise<RunningService<Schema, Deps, EnvShape>> {
  let running: RunningService<Schema, Deps, EnvShape>;
  try {
    running = await startService(definition);
  } catch (error) {
    const reason = error instanceof ConfigError ? error.message : (error as Error).stack;
    console.error(`${definition.name}: failed to start: ${reason}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) {
      running.context.logger.warn({ reason }, "second shutdown request; exiting now");
      process.exit(1);
    }
    stopping = true;
    running.context.logger.info({ reason }, "shutting down");
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        running.context.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // Started with an IPC channel (by the launcher): its closing means the launcher is gone.
  if (process.send) process.once("disconnect", () => shutdown("launcher exited"));
  return running;
}

/**
 * Applies a service's migrations and exits: `npm run migrate` runs it for every service, so
 * an operator can migrate before rolling out instead of at start-up.
 */
export async function migrateService<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends z.ZodRawShape,
>(definition: ServiceDefinition<Schema, Deps, EnvShape>, env: Env = process.env): Promise<void> {
  const config = loadConfig(baseEnvSchema(definition.defaultPort), env);
  const database = await openMigratedDatabase(definition, config, { maxConnections: 2 });
  await database.close();
}

/** Opens the service's database and applies its pending migrations. */
async function openMigratedDatabase<Schema extends Record<string, unknown>>(
  definition: Pick<
    ServiceDefinition<Schema, DependencyServices, z.ZodRawShape>,
    "name" | "database"
  >,
  config: Pick<BaseConfig, "DATABASE_URL" | "KASSA_EMBEDDED">,
  pool: { maxConnections: number; tracing?: Tracing },
): Promise<DatabaseHandle<Schema>> {
  const database = await openDatabase({
    url: config.DATABASE_URL,
    // The launcher's PGlite starts alongside the services; creating its data directory the
    // first time takes seconds on a busy machine.
    ...(config.KASSA_EMBEDDED && { connectTimeoutSeconds: 60 }),
    schema: definition.database.schema,
    applicationName: `kassa-${definition.name}`,
    ...pool,
  });
  try {
    await database.migrate({
      migrationsFolder: definition.database.migrationsFolder,
      schemaName: definition.database.schemaName,
    });
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}
