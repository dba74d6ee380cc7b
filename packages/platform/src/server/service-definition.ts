import type { DescService } from "@bufbuild/protobuf";
import type { Client, ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { z } from "zod";
import type { ServiceAccess } from "../auth/service-access.js";
import type { baseEnvSchema, DependencyConfig } from "../config/service-config.js";
import type { Checker } from "../health/checker.js";
import type { DependencyHealth } from "../health/dependency-health.js";
import type { HealthMonitor } from "../health/health-monitor.js";
import type { Clock } from "../observability/clock.js";
import type { Logger } from "../observability/logger.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import type { Tracing } from "../observability/tracing.js";
import type { DependencyBreaker } from "../resilience/dependency-breaker.js";
import type { Database, DatabaseHandle } from "../storage/database.js";
import type { RedisStore } from "../storage/redis-store.js";
import type { HttpRoute } from "./http-route.js";

/** The services a service calls, by short name: `{ merchant: MerchantService }`. */
export type DependencyServices = Record<string, DescService>;

/** Everything the base environment schema yields. */
export type BaseConfig = z.output<ReturnType<typeof baseEnvSchema>>;

/** A service's whole configuration: base, its own variables, and each dependency's. */
export type ServiceConfig<
  EnvShape extends z.ZodRawShape,
  Deps extends DependencyServices,
> = BaseConfig &
  z.output<z.ZodObject<EnvShape>> & { dependencies: { [K in keyof Deps]: DependencyConfig } };

/**
 * What a service's handlers receive: every dependency as a typed object, no module-level
 * singletons, so a test can hand in a real Postgres and a fake clock.
 */
export interface ServiceContext<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends z.ZodRawShape,
> {
  readonly name: string;
  readonly config: ServiceConfig<EnvShape, Deps>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: ServiceMetrics;
  /** Its tracer, and `inSpan` for spans of its own (saga steps, deliveries). */
  readonly tracing: Tracing;
  /** The service's drizzle database. */
  readonly db: Database<Schema>;
  /** The database handle behind `db` (health, pool use, closing). */
  readonly database: DatabaseHandle<Schema>;
  readonly redis: RedisStore;
  /** One breaker-wrapped client per dependency. */
  readonly clients: { readonly [K in keyof Deps]: Client<Deps[K]> };
  /** The breaker behind each client, for status reports. */
  readonly breakers: { readonly [K in keyof Deps]: DependencyBreaker };
  /**
   * Each dependency's own readiness, watched: background workers wait for `untilServing`
   * instead of spending attempts (and tripping breakers) on a dependency still starting.
   */
  readonly dependencyHealth: { readonly [K in keyof Deps]: DependencyHealth };
  readonly health: HealthMonitor;
  /** Aborted when the service starts shutting down; background loops stop on it. */
  readonly shutdownSignal: AbortSignal;
}

/**
 * A Kassa service described once, started by {@link startService} (tests) or
 * {@link runService} (its `main.ts`). The six services differ only in these fields.
 */
export interface ServiceDefinition<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends z.ZodRawShape,
> {
  /** Short name: `gateway`, `order`… Used in logs, metrics, the data directory. */
  readonly name: string;
  /** The proto service it serves; its full name is a grpc.health.v1 service name. */
  readonly service: DescService;
  /** Port when PORT is unset (8080–8085 per DESIGN.md). */
  readonly defaultPort: number;
  /** Who may call it: internal services check tokens; the public gateway checks API keys. */
  readonly access: ServiceAccess;
  /** The services it calls; each needs `<NAME>_URL`. */
  readonly dependencies: Deps;
  /** Its own environment variables, beyond the base and dependency ones. */
  readonly env: EnvShape;
  /** Its Postgres schema, drizzle tables and migrations folder. */
  readonly database: {
    readonly schemaName: string;
    readonly schema: Schema;
    readonly migrationsFolder: string;
  };
  /**
   * Builds the service once it has its storage, clients and logger: its own context (what its
   * operations receive) and its {@link ServiceParts}. Called once per running service, so
   * whatever it makes (metrics, caches, handles between its parts) exists once.
   */
  setup(service: ServiceContext<Schema, Deps, EnvShape>): ServiceParts;
}

/** What a service adds to the platform's machinery; made by {@link ServiceDefinition.setup}. */
export interface ServiceParts {
  /** Registers the service's RPC implementations. */
  routes(router: ConnectRouter): void;
  /**
   * Server interceptors of its own, run inside the platform's (after logging, metrics, token
   * checks and input hygiene), e.g. the gateway's API-key authentication.
   */
  interceptors?: Interceptor[];
  /**
   * Plain HTTP routes beside the RPCs on the same port (a provider's notifications), outside
   * the token checks: each authenticates its callers itself.
   */
  httpRoutes?: HttpRoute[];
  /** Extra health checks beyond Postgres, Redis and one per dependency. */
  checks?: Checker[];
  /**
   * Starts background work (relays, reconcilers) once the port is open. It must stop when the
   * service's `shutdownSignal` aborts; the promise it returns, if any, is awaited (up to
   * SHUTDOWN_TIMEOUT_MS) before storage closes. `url` is where the service is reached on
   * this machine (`http://127.0.0.1:<bound port>`), for work that calls the service itself.
   */
  background?(started: { readonly url: string }): Promise<void> | void;
}

/** Declares a service; exists for type inference. */
export function defineService<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends z.ZodRawShape,
>(
  definition: ServiceDefinition<Schema, Deps, EnvShape>,
): ServiceDefinition<Schema, Deps, EnvShape> {
  return definition;
}

/** Any service definition, for code that handles several alike (the launcher, tests). */
export type AnyServiceDefinition = ServiceDefinition<
  Record<string, unknown>,
  DependencyServices,
  z.ZodRawShape
>;
