import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The metrics every Kassa service exports on `/metrics`, on one registry per service. */
export interface ServiceMetrics {
  /** The registry `/metrics` renders; services register their own metrics on it too. */
  readonly registry: Registry;
  /** RPCs handled, by method and result code (`ok` or a Connect code name). */
  readonly rpcRequests: Counter<"method" | "code">;
  /** RPCs that ended in an error, by method and code. */
  readonly rpcErrors: Counter<"method" | "code">;
  /** RPC handling time in seconds, by method. */
  readonly rpcDuration: Histogram<"method">;
  /** Breaker state per dependency: 0 closed, 1 half-open, 2 open. */
  readonly breakerState: Gauge<"dependency">;
  /** Breaker transitions per dependency. */
  readonly breakerTransitions: Counter<"dependency" | "from" | "to">;
  /** Outcome of calls to each dependency, as seen by the caller. */
  readonly dependencyCalls: Counter<"dependency" | "method" | "code">;
  /** Overall health: 0 unhealthy, 1 degraded, 2 healthy. */
  readonly healthStatus: Gauge;
  /** Per-check health: 0 unhealthy, 1 degraded, 2 healthy. */
  readonly healthCheckStatus: Gauge<"check">;
}

/** Creates a fresh registry with Node's default process metrics and Kassa's RPC metrics. */
export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: "kassa_" });
  const registers = [registry];
  return {
    registry,
    rpcRequests: new Counter({
      name: "kassa_rpc_requests_total",
      help: "RPCs handled, by method and result code.",
      labelNames: ["method", "code"],
      registers,
    }),
    rpcErrors: new Counter({
      name: "kassa_rpc_errors_total",
      help: "RPCs that ended in an error, by method and code.",
      labelNames: ["method", "code"],
      registers,
    }),
    rpcDuration: new Histogram({
      name: "kassa_rpc_duration_seconds",
      help: "RPC handling time in seconds.",
      labelNames: ["method"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    breakerState: new Gauge({
      name: "kassa_breaker_state",
      help: "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open.",
      labelNames: ["dependency"],
      registers,
    }),
    breakerTransitions: new Counter({
      name: "kassa_breaker_transitions_total",
      help: "Circuit breaker state changes per dependency.",
      labelNames: ["dependency", "from", "to"],
      registers,
    }),
    dependencyCalls: new Counter({
      name: "kassa_dependency_calls_total",
      help: "Calls to a dependency by method and result code, as seen by the caller.",
      labelNames: ["dependency", "method", "code"],
      registers,
    }),
    healthStatus: new Gauge({
      name: "kassa_health_status",
      help: "Overall health: 0 unhealthy, 1 degraded, 2 healthy.",
      registers,
    }),
    healthCheckStatus: new Gauge({
      name: "kassa_health_check_status",
      help: "Health per check: 0 unhealthy, 1 degraded, 2 healthy.",
      labelNames: ["check"],
      registers,
    }),
  };
}
