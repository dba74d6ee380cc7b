import type { Checker, CheckResult } from "./checker.js";
import type { DependencyHealth } from "./dependency-health.js";

/** Options for {@link createDependencyCheck}. */
export interface DependencyCheckOptions {
  /**
   * Whether the dependency being down makes this service unhealthy. Default false: the
   * service itself is fine and degrades (its breaker fails those calls fast).
   */
  critical?: boolean;
}

/**
 * Checks a dependency by what its own grpc.health.v1 Watch stream last said (see
 * {@link DependencyHealth}): healthy while it reports SERVING, unhealthy while it reports
 * anything else, cannot be reached, or has not answered yet. It makes no call of its own, so
 * a busy dependency that is still serving never reads as a failed check.
 */
export function createDependencyCheck(
  health: DependencyHealth,
  options: DependencyCheckOptions = {},
): Checker {
  const name = health.dependency;
  return {
    name: `dependency:${name}`,
    critical: options.critical ?? false,
    async check(): Promise<CheckResult> {
      const metadata = {
        serving_status: health.status,
        since: health.since.toISOString(),
        ...(health.reason && { reason: health.reason }),
      };
      switch (health.status) {
        case "serving":
          return { status: "healthy", message: `${name} is serving`, metadata };
        case "unknown":
          return { status: "unhealthy", message: `${name} has not answered yet`, metadata };
        case "unreachable":
          return { status: "unhealthy", message: `${name} is unreachable`, metadata };
        case "not_serving":
          return { status: "unhealthy", message: `${name} is not serving`, metadata };
      }
    },
  };
}
