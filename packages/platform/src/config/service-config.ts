import { z } from "zod";
import { traceSamplers } from "../observability/tracing.js";
import { type BreakerPolicy, defaultBreakerPolicy } from "../resilience/dependency-breaker.js";
import { defaultRetryPolicy, type RetryPolicy } from "../resilience/retry-idempotent.js";
import { envFields } from "./env-fields.js";
import { type Env, loadConfig } from "./load-config.js";

/** Environment every service reads. Each variable is documented in the README's table. */
export function baseEnvSchema(defaultPort: number) {
  return z.object({
    /** Port serving gRPC, Connect, gRPC-Web and the probe routes. */
    PORT: envFields.port(defaultPort),
    /** Interface to bind. */
    HOST: z.string().default("0.0.0.0"),
    LOG_LEVEL: envFields.logLevel(),
    /** Presented by every service on calls to internal services, and checked by them. */
    KASSA_INTERNAL_TOKEN: envFields.secret(),
    /** Checked by internal services for admin RPCs; required where a service has some. */
    KASSA_ADMIN_TOKEN: envFields.secret().optional(),
    /**
     * Postgres URL; the service owns one schema in it. `kassa start` without one sets it to
     * the embedded Postgres it serves itself.
     */
    DATABASE_URL: envFields.url(["postgres:", "postgresql:"]),
    /**
     * Set by `kassa start` when DATABASE_URL is its embedded Postgres (the user gave none):
     * development-only fallbacks, such as the gateway's public webhook key, apply.
     */
    KASSA_EMBEDDED: envFields.flag(false),
    /**
     * Size of the Postgres connection pool. At least 2: at start-up one connection holds the
     * migration lock while the pool applies the migrations (with 1 the service would hang).
     */
    DATABASE_POOL_SIZE: z.coerce
      .number({ error: "must be a whole number of at least 2" })
      .int("must be a whole number of at least 2")
      .min(2, "must be a whole number of at least 2")
      .default(10),
    /** Redis URL; unset means the in-process stand-in (development only). */
    REDIS_URL: envFields.url(["redis:", "rediss:"]).optional(),
    /**
     * Set by `kassa start` without REDIS_URL: the stand-in is the one the launcher keeps for
     * all six services, reached over its IPC channel, rather than one per process.
     */
    KASSA_SHARED_REDIS_STAND_IN: envFields.flag(false),
    /**
     * How long one Redis command may take before it fails (and the caller degrades: skips a
     * cache, skips velocity rules) rather than stalling a payment.
     */
    REDIS_COMMAND_TIMEOUT_MS: envFields.durationMs(1000),
    /** Prepended to every Redis key; services share one namespace so they can evict each other's caches. */
    REDIS_KEY_PREFIX: z.string().default("kassa:"),
    /** Per-check health timeout. */
    HEALTH_CHECK_TIMEOUT_MS: envFields.durationMs(5000),
    /** How long a health report is reused before checks run again. */
    HEALTH_CACHE_MS: envFields.durationMs(1000),
    /** Background health evaluation interval (feeds gRPC Watch, readiness and metrics). */
    HEALTH_POLL_INTERVAL_MS: envFields.durationMs(2000),
    /** Consecutive bad results of a check before it degrades the service (hysteresis). */
    HEALTH_FAILURE_THRESHOLD: envFields.positiveInt(3),
    /** Consecutive good results of a check before it counts as recovered. */
    HEALTH_SUCCESS_THRESHOLD: envFields.positiveInt(2),
    /** After SIGTERM: how long to keep serving with readiness 503 so load balancers notice. */
    SHUTDOWN_DELAY_MS: envFields.durationMs(0),
    /** After SIGTERM and the delay: how long in-flight calls get to finish. */
    SHUTDOWN_TIMEOUT_MS: envFields.durationMs(10_000),
    /**
     * PEM certificate chain of the one port; with TLS_KEY_FILE it serves TLS (ALPN h2 and
     * http/1.1) instead of cleartext. Also presented to dependencies that ask for one.
     */
    TLS_CERT_FILE: z.string().optional(),
    /** PEM private key of TLS_CERT_FILE. */
    TLS_KEY_FILE: z.string().optional(),
    /**
     * PEM CA bundle: https:// dependencies are verified against it (instead of Node's built-in
     * CAs), and so are client certificates when TLS_CLIENT_AUTH=require.
     */
    TLS_CA_FILE: z.string().optional(),
    /** `require`: mutual TLS, every caller must present a certificate signed by TLS_CA_FILE. */
    TLS_CLIENT_AUTH: z
      .enum(["none", "require"], { error: "must be none or require" })
      .default("none"),
    /**
     * OTLP/HTTP collector base URL (spans go to `<it>/v1/traces`). Unset, nothing is traced:
     * `npm start` does not trace unless asked to.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: envFields.url(["http:", "https:"]).optional(),
    /** The full traces URL, when it is not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envFields.url(["http:", "https:"]).optional(),
    /** OTLP over HTTP as protobuf or JSON (gRPC export is not offered). */
    OTEL_EXPORTER_OTLP_PROTOCOL: z
      .enum(["http/protobuf", "http/json"], { error: "must be http/protobuf or http/json" })
      .default("http/protobuf"),
    /** The service name on its spans; default `kassa-<service>`. */
    OTEL_SERVICE_NAME: z.string().optional(),
    /** Which traces are kept; parent-based, so a caller's decision is followed. */
    OTEL_TRACES_SAMPLER: z
      .enum(traceSamplers, { error: `must be one of ${traceSamplers.join(", ")}` })
      .default("parentbased_always_on"),
    /** The ratio of the `*traceidratio` samplers. */
    OTEL_TRACES_SAMPLER_ARG: envFields.ratio(1),
    /** `true` turns tracing off even with an endpoint set. */
    OTEL_SDK_DISABLED: envFields.flag(false),
  });
}

/** The settings of one dependency, read from `<NAME>_URL`, `<NAME>_TIMEOUT_MS`… */
export interface DependencyConfig {
  url: string;
  timeoutMs: number;
  breaker: BreakerPolicy;
  retry: RetryPolicy;
}

/** The environment variables of one dependency, prefixed with its upper-case name. */
export function dependencyEnvSchema(name: string) {
  const p = name.toUpperCase();
  return z.object({
    [`${p}_URL`]: envFields.url(["http:", "https:"]),
    [`${p}_TIMEOUT_MS`]: envFields.durationMs(2000),
    [`${p}_BREAKER_FAILURE_RATIO`]: z.coerce
      .number({ error: "must be a number above 0 and at most 1" })
      .gt(0, "must be a number above 0 and at most 1")
      .max(1, "must be a number above 0 and at most 1")
      .default(defaultBreakerPolicy.failureRatio),
    [`${p}_BREAKER_MIN_CALLS`]: envFields.positiveInt(defaultBreakerPolicy.minimumCalls),
    [`${p}_BREAKER_WINDOW_MS`]: envFields.durationMs(defaultBreakerPolicy.windowMs),
    [`${p}_BREAKER_HALF_OPEN_AFTER_MS`]: envFields.durationMs(defaultBreakerPolicy.halfOpenAfterMs),
    [`${p}_BREAKER_HALF_OPEN_CALLS`]: envFields.positiveInt(defaultBreakerPolicy.halfOpenCalls),
    [`${p}_RETRIES`]: z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(0, "must not be negative")
      .default(defaultRetryPolicy.maxRetries),
  });
}

/** Reads one dependency's settings from the environment. */
export function loadDependencyConfig(name: string, env: Env): DependencyConfig {
  const p = name.toUpperCase();
  const values = loadConfig(dependencyEnvSchema(name), env) as Record<string, string | number>;
  return {
    url: String(values[`${p}_URL`]),
    timeoutMs: Number(values[`${p}_TIMEOUT_MS`]),
    breaker: {
      failureRatio: Number(values[`${p}_BREAKER_FAILURE_RATIO`]),
      minimumCalls: Number(values[`${p}_BREAKER_MIN_CALLS`]),
      windowMs: Number(values[`${p}_BREAKER_WINDOW_MS`]),
      halfOpenAfterMs: Number(values[`${p}_BREAKER_HALF_OPEN_AFTER_MS`]),
      halfOpenCalls: Number(values[`${p}_BREAKER_HALF_OPEN_CALLS`]),
    },
    retry: { ...defaultRetryPolicy, maxRetries: Number(values[`${p}_RETRIES`]) },
  };
}
