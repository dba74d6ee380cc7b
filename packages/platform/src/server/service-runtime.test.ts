import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Checker, HealthStatus } from "../health/checker.js";
import { fixtureService } from "../test-fixtures/fixture-service.js";
import { grpcJsGetOrder, grpcJsHealth } from "../testing/grpc-js-client.test-support.js";
import {
  captureLogs,
  createTestDatabase,
  eventually,
  rejectionOf,
  type TestDatabase,
  testServiceEnv,
  uniqueRedisPrefix,
} from "../testing/index.js";
import { startService } from "./service-runtime.js";

const execFileAsync = promisify(execFile);

let database: TestDatabase;
const redisPrefix = uniqueRedisPrefix("runtime");
const running: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  database = await createTestDatabase("runtime");
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});
afterAll(() => database.drop());

/** A check whose answer the test sets. */
function switchableCheck(name: string, critical: boolean) {
  let status: HealthStatus = "healthy";
  const check: Checker & { set(next: HealthStatus): void } = {
    name,
    critical,
    check: async () => ({ status, message: `${name} is ${status}` }),
    set: (next) => {
      status = next;
    },
  };
  return check;
}

async function start(
  options: { checks?: Checker[]; env?: Record<string, string>; databaseUrl?: string } = {},
) {
  const logs = captureLogs();
  const service = await startService(
    {
      ...fixtureService,
      setup: (context) => ({ ...fixtureService.setup(context), checks: options.checks ?? [] }),
    },
    {
      env: testServiceEnv({
        databaseUrl: options.databaseUrl ?? database.url,
        redisPrefix,
        extra: { HEALTH_POLL_INTERVAL_MS: "50", LOG_LEVEL: "info", ...options.env },
      }),
      logDestination: logs.stream,
    },
  );
  running.push(service);
  return { service, logs, address: `127.0.0.1:${service.port}` };
}

async function getJson(service: { url: string }, path: string) {
  const response = await fetch(`${service.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("one port", () => {
  it("answers gRPC, Connect JSON over HTTP/1.1, Connect over HTTP/2, gRPC-Web and the probe routes", async () => {
    const { service, address } = await start();

    // gRPC over h2c, from an independent implementation.
    await expect(grpcJsGetOrder(address, "ord_grpc")).resolves.toMatchObject({
      order: { id: "ord_grpc" },
    });

    // Connect JSON over HTTP/1.1 with a plain fetch, as curl would.
    const response = await fetch(`${service.url}/kassa.order.v1.OrderService/GetOrder`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ orderId: "ord_json" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ order: { id: "ord_json" } });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    // Connect over HTTP/2 and gRPC-Web over HTTP/1.1.
    const overH2 = createClient(
      OrderService,
      createConnectTransport({ baseUrl: service.url, httpVersion: "2" }),
    );
    expect((await overH2.getOrder({ orderId: "ord_h2" })).order?.id).toBe("ord_h2");
    const overWeb = createClient(
      OrderService,
      createGrpcWebTransport({ baseUrl: service.url, httpVersion: "1.1" }),
    );
    expect((await overWeb.getOrder({ orderId: "ord_web" })).order?.id).toBe("ord_web");

    // Plain HTTP routes on the same port.
    expect((await getJson(service, "/health/live")).status).toBe(200);
    expect((await getJson(service, "/health/ready")).status).toBe(200);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain(
      'kassa_rpc_requests_total{method="kassa.order.v1.OrderService/GetOrder",code="ok",service="fixture"} 4',
    );
    expect(metrics).toContain("kassa_rpc_duration_seconds_bucket");
  });

  it("answers an unexpected error as INTERNAL with only a request id, and logs the cause", async () => {
    const { service, logs } = await start();
    const client = createClient(
      OrderService,
      createConnectTransport({ baseUrl: service.url, httpVersion: "1.1" }),
    );
    const error = await rejectionOf(
      client.createOrder({}, { headers: { "x-request-id": "req-42" } }),
    );
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("internal error (request id req-42)");
    expect(error.rawMessage).not.toContain("hunter2");
    const logged = logs.lines.find((line) => line.includes('"unexpected error"'));
    expect(logged).toContain("req-42");
  });

  it("echoes a caller's request id and logs one line per RPC with it", async () => {
    const { service, logs } = await start();
    const response = await fetch(`${service.url}/kassa.order.v1.OrderService/GetOrder`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-7" },
      body: "{}",
    });
    expect(response.headers.get("x-request-id")).toBe("trace-7");
    const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.request_id === "trace-7");
    expect(line).toMatchObject({
      rpc: "kassa.order.v1.OrderService/GetOrder",
      code: "ok",
      msg: "rpc",
    });
  });
});

describe("gRPC tooling", () => {
  it("lets buf curl (a Go client) list services by reflection and call Health/Check without protos", async () => {
    const { service } = await start();
    const bufCurl = (...args: string[]) =>
      execFileAsync("buf", ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args]);
    const listed = await bufCurl("--list-services", service.url);
    expect(listed.stdout.trim().split("\n").sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "kassa.order.v1.OrderService",
    ]);
    const checked = await bufCurl(`${service.url}/grpc.health.v1.Health/Check`);
    expect(JSON.parse(checked.stdout)).toEqual({ status: "SERVING" });
    const called = await bufCurl(
      "-d",
      '{"order_id":"ord_go"}',
      `${service.url}/kassa.order.v1.OrderService/GetOrder`,
    );
    expect(JSON.parse(called.stdout)).toEqual({ order: { id: "ord_go" } });
  });
});

describe("health over HTTP and grpc.health.v1", () => {
  it("reports every check and is ready when all are healthy", async () => {
    const { service, address } = await start();
    const health = await getJson(service, "/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ service: "fixture", status: "healthy", ready: true });
    const checks = health.body.checks as Array<Record<string, unknown>>;
    expect(checks.map((c) => c.name)).toEqual(["postgres", "redis"]);
    for (const check of checks) {
      expect(Object.keys(check).sort()).toEqual(
        [
          "critical",
          "duration_ms",
          "message",
          "metadata",
          "name",
          "observed_status",
          "status",
        ].sort(),
      );
    }
    expect(checks[0]?.metadata).toMatchObject({ kind: "postgres", pool_max: 10 });
    expect(checks[1]?.metadata).toMatchObject({ kind: "redis", connection: "ready" });

    const grpc = grpcJsHealth(address);
    expect(await grpc.check("")).toBe("SERVING");
    expect(await grpc.check("kassa.order.v1.OrderService")).toBe("SERVING");
    grpc.close();
  });

  it("answers /health 200 but /health/ready 503 and NOT_SERVING when degraded", async () => {
    const optional = switchableCheck("optional", false);
    optional.set("unhealthy");
    const { service, address } = await start({ checks: [optional] });
    const health = await getJson(service, "/health");
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("degraded");
    expect((await getJson(service, "/health/ready")).status).toBe(503);
    const grpc = grpcJsHealth(address);
    expect(await grpc.check("")).toBe("NOT_SERVING");
    grpc.close();
  });

  it("answers /health 503 when a critical check fails", async () => {
    const vital = switchableCheck("vital", true);
    vital.set("unhealthy");
    const { service } = await start({ checks: [vital] });
    const health = await getJson(service, "/health");
    expect(health.status).toBe(503);
    expect(health.body.status).toBe("unhealthy");
  });

  it("answers 503 when Postgres becomes unreachable, and gRPC agrees", async () => {
    const doomed = await createTestDatabase("doomed");
    // The default check timeout (5 s): a loaded machine's first ping must not read as an outage.
    const { service, address } = await start({ databaseUrl: doomed.url });
    expect((await getJson(service, "/health/ready")).status).toBe(200);

    await doomed.drop();
    // Believed once it has failed HEALTH_FAILURE_THRESHOLD (3) evaluations in a row.
    const health = await eventually(async () => {
      const answer = await getJson(service, "/health");
      expect(answer.status).toBe(503);
      return answer;
    });
    const postgresCheck = (health.body.checks as Array<Record<string, unknown>>)[0];
    expect(postgresCheck).toMatchObject({ name: "postgres", status: "unhealthy" });
    expect((await getJson(service, "/health/ready")).status).toBe(503);
    const grpc = grpcJsHealth(address);
    expect(await grpc.check("")).toBe("NOT_SERVING");
    grpc.close();
  });

  it("cuts a hanging check at its timeout and counts it unhealthy", async () => {
    const hanging: Checker = { name: "hanging", check: () => new Promise(() => {}) };
    const { service } = await start({ checks: [hanging], env: { HEALTH_CHECK_TIMEOUT_MS: "100" } });
    const health = await getJson(service, "/health");
    expect(health.status).toBe(503);
    const check = (health.body.checks as Array<Record<string, unknown>>).find(
      (c) => c.name === "hanging",
    );
    expect(check).toMatchObject({ status: "unhealthy", message: "timed out after 100 ms" });
  });

  it("lists every service name, and answers NOT_FOUND for an unknown one", async () => {
    const { address } = await start();
    const grpc = grpcJsHealth(address);
    expect(await grpc.list()).toEqual({ "": "SERVING", "kassa.order.v1.OrderService": "SERVING" });
    await expect(grpc.check("kassa.nope.v1.NopeService")).rejects.toMatchObject({ code: 5 });
    grpc.close();
  });

  it("streams the current status, then every change, on Watch", async () => {
    const vital = switchableCheck("vital", true);
    const { address } = await start({ checks: [vital] });
    const grpc = grpcJsHealth(address);
    const watch = grpc.watch("kassa.order.v1.OrderService");
    expect(await watch.next()).toBe("SERVING");
    vital.set("unhealthy");
    expect(await watch.next()).toBe("NOT_SERVING");
    vital.set("healthy");
    expect(await watch.next()).toBe("SERVING");
    watch.cancel();
    grpc.close();
  });

  it("answers SERVICE_UNKNOWN on Watch for an unknown name and keeps the stream open", async () => {
    const vital = switchableCheck("vital", true);
    const { address } = await start({ checks: [vital] });
    const grpc = grpcJsHealth(address);
    const unknown = grpc.watch("kassa.nope.v1.NopeService");
    expect(await unknown.next()).toBe("SERVICE_UNKNOWN");
    // Still open: a change elsewhere neither ends nor feeds it, and a known watch still works.
    const known = grpc.watch("");
    expect(await known.next()).toBe("SERVING");
    vital.set("unhealthy");
    expect(await known.next()).toBe("NOT_SERVING");
    let extra: string | undefined;
    void unknown.next().then((status) => {
      extra = status;
    });
    expect(await grpc.check("")).toBe("NOT_SERVING");
    expect(extra).toBeUndefined();
    unknown.cancel();
    known.cancel();
    grpc.close();
  });

  it("reports the development Redis stand-in as such", async () => {
    const { service } = await start({ env: { REDIS_URL: "" } });
    const checks = (await getJson(service, "/health")).body.checks as Array<
      Record<string, unknown>
    >;
    expect(checks[1]).toMatchObject({
      name: "redis",
      status: "healthy",
      metadata: { kind: "memory" },
    });
    expect(String(checks[1]?.message)).toContain("development only");
  });
});
