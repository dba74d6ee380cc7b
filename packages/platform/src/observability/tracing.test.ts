import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../config/config-error.js";
import { loadServiceConfig, startService } from "../server/service-runtime.js";
import { fixtureService } from "../test-fixtures/fixture-service.js";
import {
  createTestDatabase,
  eventually,
  freePort,
  type TestDatabase,
  testServiceEnv,
} from "../testing/index.js";
import { createTracing } from "./tracing.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase("tracing");
});
afterAll(() => database.drop());

/** A stand-in OTLP/HTTP collector that keeps every request it receives. */
async function startCollector() {
  const received: Array<{ path: string; contentType: string; body: Buffer }> = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({
      path: request.url ?? "",
      contentType: request.headers["content-type"] ?? "",
      body: Buffer.concat(chunks),
    });
    response.writeHead(200, { "content-type": request.headers["content-type"] ?? "" });
    response.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The fixture service on the test database, with `env` added, and a client of it. */
async function startFixture(env: Record<string, string>) {
  const service = await startService(fixtureService, {
    env: testServiceEnv({ databaseUrl: database.url, extra: env }),
  });
  const orders = createClient(OrderService, createGrpcTransport({ baseUrl: service.url }));
  return { service, orders };
}

const config = (env: Record<string, string>) =>
  loadServiceConfig(fixtureService, testServiceEnv({ extra: env }));

describe("tracing configuration", () => {
  it("is off without an endpoint, and off with one when OTEL_SDK_DISABLED=true", () => {
    expect(createTracing({ service: "order", config: config({}) }).enabled).toBe(false);
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" };
    expect(createTracing({ service: "order", config: config(endpoint) }).enabled).toBe(true);
    const disabled = config({ ...endpoint, OTEL_SDK_DISABLED: "TRUE" });
    expect(createTracing({ service: "order", config: disabled }).enabled).toBe(false);
  });

  it("names spans kassa-<service> unless OTEL_SERVICE_NAME says otherwise", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" };
    expect(createTracing({ service: "order", config: config(endpoint) }).serviceName).toBe(
      "kassa-order",
    );
    const named = config({ ...endpoint, OTEL_SERVICE_NAME: "orders-eu" });
    expect(createTracing({ service: "order", config: named }).serviceName).toBe("orders-eu");
  });

  it("refuses an unknown protocol, sampler, ratio or flag, naming each variable", () => {
    const error = (() => {
      try {
        config({
          OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
          OTEL_TRACES_SAMPLER: "sometimes",
          OTEL_TRACES_SAMPLER_ARG: "2",
          OTEL_SDK_DISABLED: "yes",
          OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
        });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.variable).sort()).toEqual([
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_SDK_DISABLED",
      "OTEL_TRACES_SAMPLER",
      "OTEL_TRACES_SAMPLER_ARG",
    ]);
  });

  it("samples no new trace with parentbased_traceidratio at 0, yet follows a caller that sampled", async () => {
    const collector = await startCollector();
    const { service, orders } = await startFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0",
    });
    const sampledTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    try {
      await orders.getOrder({ orderId: "unsampled" });
      await orders.getOrder(
        { orderId: "sampled" },
        { headers: { traceparent: `00-${sampledTrace}-00f067aa0ba902b7-01` } },
      );
    } finally {
      // Stopping flushes the batch.
      await service.stop();
    }
    const exported = collector.received.map((request) => request.body.toString()).join("\n");
    expect(exported).toContain(sampledTrace);
    expect(
      exported.match(/"traceId":"([0-9a-f]{32})"/g)?.every((id) => id.includes(sampledTrace)),
    ).toBe(true);
    await collector.close();
  });
});

describe("an unreachable collector", () => {
  it("costs dropped spans, never a failed call or a failed shutdown", async () => {
    const nobodyListens = await freePort();
    const { service, orders } = await startFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${nobodyListens}`,
    });
    expect((await orders.getOrder({ orderId: "dropped" })).order?.id).toBe("dropped");
    await expect(service.stop()).resolves.toBeUndefined();
  });
});

describe.each([
  ["http/protobuf", "application/x-protobuf"],
  ["http/json", "application/json"],
])("OTLP export as %s", (protocol, contentType) => {
  it("sends the service's spans to <endpoint>/v1/traces", async () => {
    const collector = await startCollector();
    const { service, orders } = await startFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    });
    try {
      await orders.getOrder({ orderId: "exported" });
    } finally {
      await service.stop();
    }
    const request = await eventually(() => {
      const found = collector.received.find((each) => each.path === "/v1/traces");
      expect(found).toBeDefined();
      return found as (typeof collector.received)[number];
    });
    expect(request.contentType).toContain(contentType);
    // Protobuf keeps strings as UTF-8 bytes, so both encodings hold the names verbatim.
    const body = request.body.toString("latin1");
    expect(body).toContain("kassa-fixture");
    expect(body).toContain("kassa.order.v1.OrderService/GetOrder");
    await collector.close();
  });
});
