import { createClient, type Transport } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import type { Checker, CheckResult } from "./checker.js";

/** Options for {@link createDependencyCheck}. */
export interface DependencyCheckOptions {
  /** Deadline of the Health/Check call. Default 1000 ms. */
  timeoutMs?: number;
  /**
   * Whether the dependency being down makes this service unhealthy. Default false: the
   * service itself is fine and degrades (its breaker fails those calls fast).
   */
  critical?: boolean;
}

/**
 * Checks a dependency by calling its grpc.health.v1 Check("") over the same transport the
 * service's client uses, so it also proves the network path works.
 */
export function createDependencyCheck(
  name: string,
  transport: Transport,
  options: DependencyCheckOptions = {},
): Checker {
  const health = createClient(Health, transport);
  const timeoutMs = options.timeoutMs ?? 1000;
  return {
    name: `dependency:${name}`,
    critical: options.critical ?? false,
    async check(signal): Promise<CheckResult> {
      const started = performance.now();
      const response = await health.check({ service: "" }, { timeoutMs, signal });
      const metadata = {
        serving_status: ServingStatus[response.status],
        latency_ms: Math.round((performance.now() - started) * 100) / 100,
      };
      return response.status === ServingStatus.SERVING
        ? { status: "healthy", message: `${name} is serving`, metadata }
        : { status: "unhealthy", message: `${name} is not serving`, metadata };
    },
  };
}
