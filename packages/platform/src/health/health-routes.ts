import type { HealthReport } from "./checker.js";
import type { HealthMonitor } from "./health-monitor.js";

/** An HTTP answer for a probe route: status code, content type and body. */
export interface ProbeResponse {
  status: number;
  contentType: string;
  body: string;
}

/** The JSON `/health` and `/health/ready` return; field names are snake_case like the API. */
export function healthBody(service: string, monitor: HealthMonitor, report: HealthReport) {
  return {
    service,
    status: report.status,
    phase: monitor.phase,
    ready: monitor.phase === "serving" && report.status === "healthy",
    checked_at: report.checkedAt.toISOString(),
    duration_ms: report.durationMs,
    checks: report.checks.map((check) => ({
      name: check.name,
      status: check.status,
      observed_status: check.observedStatus,
      critical: check.critical,
      message: check.message,
      duration_ms: check.durationMs,
      metadata: check.metadata ?? {},
    })),
  };
}

/**
 * Answers the three health routes as DESIGN.md fixes them:
 * `/health` 200 when healthy or degraded, 503 when unhealthy; `/health/live` 200 while the
 * process runs; `/health/ready` 200 only when serving and healthy (503 while starting,
 * degraded, unhealthy or draining). Returns undefined for any other path.
 */
export async function answerHealthRoute(
  path: string,
  service: string,
  monitor: HealthMonitor,
): Promise<ProbeResponse | undefined> {
  if (path === "/health/live") {
    return json(200, { service, status: "alive", phase: monitor.phase });
  }
  if (path !== "/health" && path !== "/health/ready") return undefined;
  const report = await monitor.report();
  const body = healthBody(service, monitor, report);
  if (path === "/health") return json(report.status === "unhealthy" ? 503 : 200, body);
  return json(body.ready ? 200 : 503, body);
}

function json(status: number, body: unknown): ProbeResponse {
  return { status, contentType: "application/json", body: JSON.stringify(body) };
}
