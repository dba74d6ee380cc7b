import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
} from "./testing/gateway-platform.test-support.js";

// Readiness is what Kubernetes uses to decide where traffic goes. A busy service that takes
// itself out moves its load onto the others: a cascade. So: steady payments at the rate the
// machine sustains, every service's readiness polled over HTTP and gRPC the whole time.

let platform: GatewayPlatform;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_ready_load");
});
afterAll(() => platform.stop());

/** Polls every service's `/health/ready` and grpc.health.v1 Check("") until `stop` aborts. */
function pollReadiness(stop: AbortSignal) {
  const record = new Map<string, { polls: number; notReady: string[] }>();
  const pollers = Object.values(platform.services).map(async (service) => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: service.url }));
    const entry = { polls: 0, notReady: [] as string[] };
    record.set(service.name, entry);
    while (!stop.aborted) {
      const [http, grpc] = await Promise.all([
        fetch(`${service.url}/health/ready`).then(
          async (response) => `HTTP ${response.status}: ${await response.text()}`,
          (error: unknown) => `HTTP failed: ${String(error)}`,
        ),
        health.check({ service: "" }).then(
          (answer) => `gRPC ${ServingStatus[answer.status]}`,
          (error: unknown) => `gRPC failed: ${String(error)}`,
        ),
      ]);
      entry.polls++;
      if (!http.startsWith("HTTP 200")) entry.notReady.push(http);
      if (grpc !== "gRPC SERVING") entry.notReady.push(grpc);
      await new Promise((resolve) => setTimeout(resolve, 20)); // pacing, not synchronisation
    }
  });
  return { record, done: Promise.all(pollers) };
}

describe("readiness under load", () => {
  it("stays 200 and SERVING on every service through a steady stream of payments", async () => {
    const merchant = await platform.newMerchant();
    // Start from a platform that is ready, as a Service would only route to one that is.
    await eventually(async () => {
      for (const service of Object.values(platform.services)) {
        expect((await fetch(`${service.url}/health/ready`)).status, service.name).toBe(200);
      }
    });
    const stop = new AbortController();
    const poll = pollReadiness(stop.signal);

    const payments = 160;
    const concurrency = 8;
    let next = 0;
    const outcomes: PaymentStatus[] = [];
    const load = Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < payments) {
          const n = next++;
          const { payment } = await merchant.gateway.createPayment({
            idempotencyKey: `load-${n}`,
            merchantOrderNo: `load-${n}`,
            amount: 1000n + BigInt(n),
            currency: "USD",
            paymentMethod: "tok_visa",
            customer: { email: `customer${n}@example.com`, ip: "203.0.113.9" },
          });
          outcomes.push(payment?.status ?? PaymentStatus.UNSPECIFIED);
        }
      }),
    );
    await load.finally(() => stop.abort());
    await poll.done;

    expect(outcomes.filter((status) => status !== PaymentStatus.SUCCEEDED)).toEqual([]);
    for (const [service, entry] of poll.record) {
      expect(entry.polls, service).toBeGreaterThan(10);
      expect(entry.notReady, service).toEqual([]);
    }
  }, 300_000);

  it("still takes readiness away when a dependency is really down", async () => {
    await platform.services.order.stop();
    const health = createClient(
      Health,
      createGrpcTransport({ baseUrl: platform.services.gateway.url }),
    );
    await eventually(async () => {
      expect((await fetch(`${platform.services.gateway.url}/health/ready`)).status).toBe(503);
      expect((await health.check({ service: "" })).status).toBe(ServingStatus.NOT_SERVING);
    });
    const body = (await (await fetch(`${platform.services.gateway.url}/health`)).json()) as {
      checks: Array<{ name: string; status: string; message: string }>;
    };
    expect(body.checks.find((check) => check.name === "dependency:order")).toMatchObject({
      status: "degraded",
      message: expect.stringMatching(/^order is (unreachable|not serving)$/),
    });

    await platform.services.order.start();
    await eventually(async () =>
      expect((await fetch(`${platform.services.gateway.url}/health/ready`)).status).toBe(200),
    );
  });
});
