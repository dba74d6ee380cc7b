import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import type { OperatorContext } from "../operator-context.js";
import { collectPlatformStatus, platformHealthy, type ServiceStatus } from "../platform-status.js";
import { serviceEndpoints } from "../service-endpoints.js";
import { renderTable } from "../text-table.js";

/**
 * `kassa status`: every service's health with its checks, every breaker and the gateway's
 * outbox, read from `/health` and `/metrics` (no token needed). Exits 1 when a service is
 * unhealthy or down; degraded still exits 0 (the platform serves).
 */
export function registerStatusCommand(program: Command, context: OperatorContext): void {
  program
    .command("status")
    .description("Health of every service, its breakers and the outbox; exit 1 if any is down.")
    .option("--json", "print what was collected as JSON")
    .action(async (options: { json?: boolean }) => {
      const statuses = await collectPlatformStatus(serviceEndpoints(context.env));
      const healthy = platformHealthy(statuses);
      if (options.json) {
        context.out.write(`${JSON.stringify({ healthy, services: statuses }, null, 2)}\n`);
      } else {
        context.out.write(renderStatus(statuses));
      }
      if (!healthy) {
        const failing = statuses.filter(
          (status) => !["healthy", "degraded"].includes(status.state),
        );
        throw new CliError(
          `${failing.length} of ${statuses.length} services not healthy: ${failing
            .map((status) => `${status.name} ${status.state}`)
            .join(", ")}`,
          // The table already ends with the verdict; JSON readers get it on stderr.
          { quiet: !options.json },
        );
      }
    });
}

/** The three tables: services, breakers, outbox; then a one-line verdict. */
export function renderStatus(statuses: readonly ServiceStatus[]): string {
  const sections = [
    renderTable(["service", "url", "status", "checks"], statuses.flatMap(serviceRows)),
  ];

  const breakerRows = statuses.flatMap((status) =>
    (status.breakers ?? []).map((breaker) => [status.name, breaker.dependency, breaker.state]),
  );
  const unread = statuses.filter((status) => status.dependencies.length > 0 && !status.breakers);
  for (const status of unread) breakerRows.push([status.name, "(all)", "unknown"]);
  if (breakerRows.length > 0) {
    sections.push(renderTable(["caller", "dependency", "breaker"], breakerRows));
  }

  const gateway = statuses.find((status) => status.name === "gateway");
  if (gateway) {
    const outbox = gateway.outbox;
    sections.push(
      renderTable(
        ["outbox", "waiting", "oldest", "exhausted"],
        [
          outbox
            ? [
                gateway.name,
                String(outbox.backlog),
                `${Math.round(outbox.oldestAgeSeconds)} s`,
                outbox.exhausted > 0 ? `${outbox.exhausted} (need an operator)` : "0",
              ]
            : [gateway.name, "unknown", "-", "-"],
        ],
      ),
    );
  }

  const notHealthy = statuses.filter((status) => status.state !== "healthy");
  sections.push(
    notHealthy.length === 0
      ? `All ${statuses.length} services healthy.\n`
      : `${statuses.length - notHealthy.length} of ${statuses.length} services healthy; ${notHealthy
          .map((status) => `${status.name} ${status.state}`)
          .join(", ")}.\n`,
  );
  return sections.join("\n");
}

/** A service's row, plus a continuation row for each further check that needs a look. */
function serviceRows(status: ServiceStatus): string[][] {
  const state =
    status.phase && status.phase !== "serving" ? `${status.state} (${status.phase})` : status.state;
  const notes = [
    ...(status.problem ? [status.problem] : []),
    ...status.checks
      .filter((check) => check.status !== "healthy")
      .sort((a, b) => Number(b.critical) - Number(a.critical))
      .map((check) => `${check.name} ${check.status}: ${check.message}`),
  ];
  if (notes.length === 0) {
    const count = status.checks.length;
    notes.push(count === 1 ? "1 check healthy" : `all ${count} checks healthy`);
  }
  const [first, ...rest] = notes;
  return [[status.name, status.url, state, first ?? ""], ...rest.map((note) => ["", "", "", note])];
}
