import { fetchWithTls } from "@kassa/platform";
import { connectionFailure, tlsFailure } from "./connection-failure.js";
import { parseMetricSamples } from "./prometheus-text.js";
import type { ServiceEndpoint } from "./service-endpoints.js";
import type { SupervisedProcess, SupervisorState } from "./supervisor-state.js";

/**
 * How a service stands: what its `/health` said, or `down` (nothing answered) or `error` (it
 * answered, but not with a Kassa health report).
 */
export type ServiceState = "healthy" | "degraded" | "unhealthy" | "down" | "error";

/** One check of a service's `/health` report (field names as the JSON has them). */
export interface HealthCheck {
  readonly name: string;
  readonly status: "healthy" | "degraded" | "unhealthy";
  readonly critical: boolean;
  readonly message: string;
  readonly duration_ms: number;
}

/** A circuit breaker of a service, towards one dependency (`kassa_breaker_state`). */
export interface BreakerStatus {
  readonly dependency: string;
  readonly state: "closed" | "half-open" | "open";
}

/** The gateway's outbox gauges. */
export interface OutboxStatus {
  /** Events waiting for delivery (`kassa_outbox_backlog`). */
  readonly backlog: number;
  /** Age of the oldest waiting event, seconds (`kassa_outbox_oldest_age_seconds`). */
  readonly oldestAgeSeconds: number;
  /** Events that used up their attempts (`kassa_outbox_exhausted`). */
  readonly exhausted: number;
}

/** The gateway's webhook gauges, summed over endpoints. */
export interface WebhookStatus {
  /** Deliveries waiting, all endpoints (`kassa_webhook_backlog`). */
  readonly backlog: number;
  /** Endpoints with deliveries waiting. */
  readonly endpoints: number;
  /** Age of the oldest waiting delivery, seconds (`kassa_webhook_oldest_age_seconds`). */
  readonly oldestAgeSeconds: number;
  /** Deliveries kept FAILED after their last attempt (`kassa_webhook_failed`). */
  readonly failed: number;
}

/** Everything `kassa status` learnt about one service. */
export interface ServiceStatus {
  readonly name: string;
  readonly url: string;
  /** The services it calls, each behind a breaker. */
  readonly dependencies: readonly string[];
  readonly state: ServiceState;
  /** `serving`, `starting` or `draining`, from `/health`. */
  readonly phase?: string;
  /** Why the service is `down` or `error`, or why its metrics could not be read. */
  readonly problem?: string;
  readonly checks: readonly HealthCheck[];
  /** Undefined when `/metrics` could not be read. */
  readonly breakers?: readonly BreakerStatus[];
  /** Only for a service exporting the outbox gauges (the gateway). */
  readonly outbox?: OutboxStatus;
  /** Only for a service exporting the webhook gauges (the gateway). */
  readonly webhooks?: WebhookStatus;
  /** Its process, pid and restart count, when a running `kassa start` supervises it. */
  readonly supervised?: Omit<SupervisedProcess, "name" | "url">;
}

/** How long `kassa status` waits for one service; its health checks time out after 5 s. */
const probeTimeoutMs = 8_000;

const breakerStates = ["closed", "half-open", "open"] as const;
const metricNames = new Set([
  "kassa_breaker_state",
  "kassa_outbox_backlog",
  "kassa_outbox_oldest_age_seconds",
  "kassa_outbox_exhausted",
  "kassa_webhook_backlog",
  "kassa_webhook_oldest_age_seconds",
  "kassa_webhook_failed",
]);

/** Asks every service for `/health` and `/metrics`, all at once. */
export function collectPlatformStatus(
  endpoints: readonly ServiceEndpoint[],
): Promise<ServiceStatus[]> {
  return Promise.all(endpoints.map(serviceStatus));
}

/**
 * The statuses with what the local `kassa start` knows of each service's process, for the
 * services it runs at the very URL probed (a `KASSA_<NAME>_URL` elsewhere is not its own).
 */
export function withSupervision(
  statuses: readonly ServiceStatus[],
  supervision: SupervisorState | undefined,
): ServiceStatus[] {
  return statuses.map((status) => {
    const process = supervision?.services.find(
      (candidate) => candidate.name === status.name && candidate.url === status.url,
    );
    if (!process) return status;
    const { name: _name, url: _url, ...supervised } = process;
    return { ...status, supervised };
  });
}

/** Whether the platform as a whole is fit to serve: every service healthy or degraded. */
export function platformHealthy(statuses: readonly ServiceStatus[]): boolean {
  return statuses.every((status) => status.state === "healthy" || status.state === "degraded");
}

async function serviceStatus(endpoint: ServiceEndpoint): Promise<ServiceStatus> {
  const base = { name: endpoint.name, url: endpoint.url, dependencies: endpoint.dependencies };
  const [health, metrics] = await Promise.allSettled([
    get(`${endpoint.url}/health`, endpoint),
    get(`${endpoint.url}/metrics`, endpoint),
  ]);
  if (health.status === "rejected") {
    const unreachable = connectionFailure(health.reason);
    const silent = isTimeout(health.reason);
    return {
      ...base,
      state: unreachable || silent ? "down" : "error",
      problem: unreachable ? `not reachable: ${unreachable}` : describe(health.reason),
      checks: [],
    };
  }
  const report = healthReport(health.value.body);
  if (!report) {
    return {
      ...base,
      state: "error",
      problem: `GET /health answered ${health.value.status} without a Kassa health report`,
      checks: [],
    };
  }
  const status: ServiceStatus = { ...base, ...report };
  if (metrics.status === "rejected" || metrics.value.status !== 200) {
    const reason =
      metrics.status === "rejected" ? describe(metrics.reason) : `HTTP ${metrics.value.status}`;
    return { ...status, problem: `metrics not readable: ${reason}` };
  }
  const samples = parseMetricSamples(metrics.value.body, metricNames);
  const gauge = (name: string) => samples.find((sample) => sample.name === name)?.value;
  const breakers = samples
    .filter((sample) => sample.name === "kassa_breaker_state")
    .map((sample) => ({
      dependency: sample.labels.dependency ?? "?",
      state: breakerStates[sample.value] ?? "open",
    }))
    .sort((a, b) => a.dependency.localeCompare(b.dependency));
  const backlog = gauge("kassa_outbox_backlog");
  const webhookFailed = gauge("kassa_webhook_failed");
  const perEndpoint = (name: string) =>
    samples.filter((sample) => sample.name === name).map((sample) => sample.value);
  const webhookBacklog = perEndpoint("kassa_webhook_backlog");
  return {
    ...status,
    breakers,
    ...(backlog !== undefined && {
      outbox: {
        backlog,
        oldestAgeSeconds: gauge("kassa_outbox_oldest_age_seconds") ?? 0,
        exhausted: gauge("kassa_outbox_exhausted") ?? 0,
      },
    }),
    ...(webhookFailed !== undefined && {
      webhooks: {
        backlog: webhookBacklog.reduce((sum, value) => sum + value, 0),
        endpoints: webhookBacklog.filter((value) => value > 0).length,
        oldestAgeSeconds: Math.max(0, ...perEndpoint("kassa_webhook_oldest_age_seconds")),
        failed: webhookFailed,
      },
    }),
  };
}

function get(url: string, endpoint: ServiceEndpoint): Promise<{ status: number; body: string }> {
  return fetchWithTls(url, { tls: endpoint.tls, signal: AbortSignal.timeout(probeTimeoutMs) });
}

/** The parts of a `/health` body `kassa status` shows, or undefined if it is not one. */
function healthReport(body: string): Pick<ServiceStatus, "state" | "phase" | "checks"> | undefined {
  let parsed: { status?: unknown; phase?: unknown; checks?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return undefined;
  }
  const { status, phase, checks } = parsed;
  if (status !== "healthy" && status !== "degraded" && status !== "unhealthy") return undefined;
  return {
    state: status,
    ...(typeof phase === "string" && { phase }),
    checks: Array.isArray(checks) ? (checks as HealthCheck[]) : [],
  };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}

function describe(error: unknown): string {
  if (isTimeout(error)) {
    return `no answer within ${probeTimeoutMs / 1000} s`;
  }
  const refusedTls = tlsFailure(error);
  if (refusedTls) return `TLS: ${refusedTls}`;
  return connectionFailure(error) ?? (error instanceof Error ? error.message : String(error));
}
