import { type Client, Code } from "@connectrpc/connect";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../server/service-runtime.js";
import { fixtureService } from "../test-fixtures/fixture-service.js";
import {
  captureLogs,
  createTestDatabase,
  rejectionOf,
  type TestDatabase,
  testClient,
  testServiceEnv,
  testTokens,
} from "../testing/index.js";

// The fixture as an internal service whose CancelOrder is an admin RPC.
const internalFixture = {
  ...fixtureService,
  access: { kind: "internal", adminMethods: ["CancelOrder"] },
} as const;
const logs = captureLogs();
let service: RunningService<never, never, never>;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase("service_access");
  service = (await startService(internalFixture, {
    env: testServiceEnv({ databaseUrl: database.url, extra: { LOG_LEVEL: "info" } }),
    logDestination: logs.stream,
  })) as unknown as RunningService<never, never, never>;
});
afterAll(async () => {
  await service.stop();
  await database.drop();
});

describe("service access", () => {
  it("rejects a call without a token, or with a wrong one, as UNAUTHENTICATED", async () => {
    for (const token of [undefined, "not-the-token", `${testTokens.internal}x`]) {
      const error = await rejectionOf(
        testClient(OrderService, service.url, token).getOrder({ orderId: "ord_1" }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toBe(
        "kassa.order.v1.OrderService is internal: authorization: Bearer <KASSA_INTERNAL_TOKEN> is required",
      );
    }
  });

  it("accepts the internal token, and the admin token, on internal RPCs", async () => {
    for (const token of [testTokens.internal, testTokens.admin]) {
      const answer = await testClient(OrderService, service.url, token).getOrder({
        orderId: "ord_1",
      });
      expect(answer.order?.id).toBe("ord_1");
    }
  });

  it("takes only the admin token on admin RPCs", async () => {
    const error = await rejectionOf(
      testClient(OrderService, service.url, testTokens.internal).cancelOrder({ orderId: "ord_1" }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe(
      "CancelOrder needs the admin token: authorization: Bearer <KASSA_ADMIN_TOKEN>",
    );
    const answer = await testClient(OrderService, service.url, testTokens.admin).cancelOrder({
      orderId: "ord_1",
    });
    expect(answer.order?.id).toBe("ord_1");
  });

  it("keeps health, reflection, probes and metrics open", async () => {
    for (const path of ["/health", "/health/live", "/health/ready", "/metrics"]) {
      expect((await fetch(`${service.url}${path}`)).status, path).toBe(200);
    }
    const check = await fetch(`${service.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await check.json()).toEqual({ status: "SERVING" });
  });

  it("never writes a token to the logs", () => {
    const all = logs.lines.join("\n");
    expect(all).not.toContain(testTokens.internal);
    expect(all).not.toContain(testTokens.admin);
    expect(all).not.toContain("not-the-token");
  });

  it("presents the internal token on calls to dependencies", async () => {
    const caller = await startService(
      { ...fixtureService, dependencies: { order: OrderService } },
      { env: testServiceEnv({ databaseUrl: database.url, extra: { ORDER_URL: service.url } }) },
    );
    try {
      const clients = caller.context.clients as { order: Client<typeof OrderService> };
      const answer = await clients.order.getOrder({ orderId: "ord_2" });
      expect(answer.order?.id).toBe("ord_2");
    } finally {
      await caller.stop();
    }
  });

  it("refuses to start when adminMethods names a method the service does not have", async () => {
    await expect(
      startService(
        { ...fixtureService, access: { kind: "internal", adminMethods: ["DeleteEverything"] } },
        { env: testServiceEnv({}) },
      ),
    ).rejects.toThrow("kassa.order.v1.OrderService has no method DeleteEverything");
  });
});
