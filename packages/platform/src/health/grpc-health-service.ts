import { on } from "node:events";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import type { HealthChange, HealthMonitor } from "./health-monitor.js";

/**
 * grpc.health.v1.Health over a {@link HealthMonitor}, for `grpc_health_probe`, Kubernetes'
 * native gRPC probes and service meshes. `""` and every name in `serviceNames` report the same
 * readiness as `/health/ready`: one process serves one Kassa service, so there is nothing to
 * tell apart.
 */
export function createGrpcHealthService(
  monitor: HealthMonitor,
  serviceNames: readonly string[],
): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const statusOf = (ready: boolean) => (ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  const response = (status: ServingStatus) => create(HealthCheckResponseSchema, { status });

  return {
    async check(request) {
      if (!known.has(request.service)) {
        throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      }
      return response(statusOf(await monitor.ready()));
    },

    async list() {
      const status = statusOf(await monitor.ready());
      return {
        statuses: Object.fromEntries([...known].map((name) => [name, response(status)])),
      };
    },

    async *watch(request, context) {
      if (!known.has(request.service)) {
        // The protocol says: report SERVICE_UNKNOWN and keep the stream open, in case the
        // service appears later. Ours never do, so the stream stays quiet until cancelled.
        yield response(ServingStatus.SERVICE_UNKNOWN);
        await new Promise<void>((resolve) => {
          context.signal.addEventListener("abort", () => resolve(), { once: true });
          monitor.events.once("close", () => resolve());
        });
        return;
      }
      // Listen before reading the current status, so no change can slip in between.
      const changes = on(monitor.events, "change", {
        signal: context.signal,
        close: ["close"],
      }) as AsyncIterableIterator<[HealthChange]>;
      let current = statusOf(await monitor.ready());
      yield response(current);
      try {
        for await (const [change] of changes) {
          const next = statusOf(change.ready);
          if (next === current) continue;
          current = next;
          yield response(current);
        }
      } catch (error) {
        if (!context.signal.aborted) throw error;
      }
    },
  };
}
