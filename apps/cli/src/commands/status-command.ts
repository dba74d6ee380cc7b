import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { formatDate } from "../format-time.js";
import { localDataDir } from "../local-data-dir.js";
import type { OperatorContext } from "../operator-context.js";
import {
  collectPlatformStatus,
  platformHealthy,
  type ServiceStatus,
  withSupervision,
} from "../platform-status.js";
import { serviceEndpoints } from "../service-endpoints.js";
import { readSupervisorState, supervisorStateFile } from "../supervisor-state.js";
import { renderTable } from "../text-table.js";

/**
 * `kassa status`: every service's health with its checks, every breaker and the gateway's
 * outbox, read from `/health` and `/metrics` (no token needed), and, for a platform that
 * `kassa start` runs from this data directory, each service's pid and restart count (from its
 * `supervisor.json`). Exits 1 when a service is unhealthy or down; degraded still exits 0 (the
 * platform serves).
 */
export function registerStatusCommand(program: Command, context: OperatorContext): void {
  program
    .command("status")
    .description(
      "Health of every service, its breakers and the outbox, and restarts under `kassa start`; exit 1 if any is down.",
    )
    .option("--json", "print what was collected as JSON")
    .action(async (options: { json?: boolean }) => {
      const stateFile = supervisorStateFile(localDataDir(context.env, context.rootDir));
      const [collected, supervision] = await Promise.all([
        collectPlatformStatus(serviceEndpoints(context.env)),
        readSupervisorState(stateFile),
      ]);
      const statuses = withSupervision(collected, supervision);
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

/**
 * The tables: services, their processes under `kassa start` (when it runs them), breakers,
 * outbox, webhooks; then a one-line verdict.
 */
export function renderStatus(statuses: readonly ServiceStatus[]): string {
  const sections = [
    renderTable(["service", "url", "status", "checks"], statuses.flatMap(serviceRows)),
  ];

  const processRows = statuses.flatMap(({ name, supervised }) =>
    supervised
      ? [
          [
            name,
            supervised.pid === null ? "-" : String(supervised.pid),
            supervised.phase,
            String(supervised.restarts),
            lastExitText(supervised.lastExit),
          ],
        ]
      : [],
  );
  if (processRows.length > 0) {
    sections.push(
      renderTable(["supervised", "pid", "state", "restarts", "last exit"], processRows),
    );
  }

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
    const webhooks = gateway.webhooks;
    if (webhooks) {
      sections.push(
        renderTable(
          ["webhooks", "waiting", "endpoints", "oldest", "failed"],
          [
            [
              gateway.name,
              String(webhooks.backlog),
              String(webhooks.endpoints),
              `${Math.round(webhooks.oldestAgeSeconds)} s`,
              webhooks.failed > 0 ? `${webhooks.failed} (RedeliverEvent resends)` : "0",
            ],
          ],
        ),
      );
    }
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

/** How a supervised process last ended: `SIGKILL at 2026-11-24 21:34:10Z`, or `-`. */
function lastExitText(exit: NonNullable<ServiceStatus["supervised"]>["lastExit"]): string {
  if (!exit) return "-";
  const how = exit.signal ?? `exit code ${exit.code}`;
  return `${how} at ${formatDate(new Date(exit.at))}`;
}
