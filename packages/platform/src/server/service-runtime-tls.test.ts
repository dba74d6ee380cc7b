import { execFile } from "node:child_process";
import { once } from "node:events";
import tls from "node:tls";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../config/load-config.js";
import { fixtureService, rememberPort } from "../test-fixtures/fixture-service.js";
import { grpcJsGetOrder, grpcJsHealth, grpcJsTls } from "../testing/grpc-js-client.test-support.js";
import {
  captureLogs,
  createTestCertificates,
  createTestDatabase,
  eventually,
  rejectionOf,
  type TestCertificates,
  type TestDatabase,
  testServiceEnv,
  uniqueRedisPrefix,
} from "../testing/index.js";
import { fetchWithTls } from "./fetch-with-tls.js";
import { defineService } from "./service-definition.js";
import { startService } from "./service-runtime.js";
import type { TlsClientOptions } from "./tls-settings.js";

// The one port over TLS: every protocol it speaks, who it refuses, mutual TLS, a service
// calling another through its real dependency client, and draining. Certificates are made
// for this file by openssl (createTestCertificates) and deleted afterwards.

const execFileAsync = promisify(execFile);

let certs: TestCertificates;
let database: TestDatabase;
const redisPrefix = uniqueRedisPrefix("tls");
const running: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  [certs, database] = await Promise.all([createTestCertificates(), createTestDatabase("tls")]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});
afterAll(async () => {
  await Promise.all([database?.drop(), certs?.remove()]);
});

/** The fixture (or `definition`) started with `env` on top of the test defaults. */
async function start(env: Env, definition = fixtureService) {
  const logs = captureLogs();
  const service = await startService(definition, {
    env: testServiceEnv({
      databaseUrl: database.url,
      redisPrefix,
      extra: { LOG_LEVEL: "info", ...env },
    }),
    logDestination: logs.stream,
  });
  running.push(service);
  return { service, logs, address: `127.0.0.1:${service.port}` };
}

/** OrderService over Connect, on the given HTTP version, with these TLS options. */
function orderClient(url: string, httpVersion: "1.1" | "2", nodeOptions: TlsClientOptions) {
  return createClient(
    OrderService,
    createConnectTransport({ baseUrl: url, httpVersion, nodeOptions }),
  );
}

/** A Connect JSON call over HTTP/1.1, as curl would make it. */
function connectJson(url: string, body: unknown, options: TlsClientOptions | undefined) {
  return fetchWithTls(`${url}/kassa.order.v1.OrderService/GetOrder`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    tls: options,
  });
}

/** The protocol a TLS handshake offering `protocols` settles on. */
async function negotiated(port: number, protocols: string[]): Promise<string | false | null> {
  const socket = tls.connect({ host: "127.0.0.1", port, ca: certs.ca, ALPNProtocols: protocols });
  try {
    await once(socket, "secureConnect");
    return socket.alpnProtocol;
  } finally {
    socket.destroy();
  }
}

describe("TLS on the one port", () => {
  it("negotiates h2 or http/1.1 by ALPN", async () => {
    const { service } = await start(certs.serviceEnv());
    expect(service.url).toBe(`https://127.0.0.1:${service.port}`);
    expect(await negotiated(service.port, ["h2", "http/1.1"])).toBe("h2");
    expect(await negotiated(service.port, ["http/1.1"])).toBe("http/1.1");
  });

  it("answers gRPC, Connect JSON over HTTP/1.1, Connect over HTTP/2, gRPC-Web and the probe routes", async () => {
    const { service, address, logs } = await start(certs.serviceEnv());
    const trusting = certs.clientTls();

    // gRPC from an independent implementation (grpc-js), verifying the certificate.
    await expect(grpcJsGetOrder(address, "ord_grpc", grpcJsTls(trusting))).resolves.toMatchObject({
      order: { id: "ord_grpc" },
    });
    const grpcHealth = grpcJsHealth(address, grpcJsTls(trusting));
    expect(await grpcHealth.check("kassa.order.v1.OrderService")).toBe("SERVING");
    grpcHealth.close();

    // Connect JSON over HTTP/1.1.
    const json = await connectJson(service.url, { orderId: "ord_json" }, trusting);
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body)).toEqual({ order: { id: "ord_json" } });

    // Connect over HTTP/2 and gRPC-Web over HTTP/1.1.
    expect(
      (await orderClient(service.url, "2", trusting).getOrder({ orderId: "ord_h2" })).order?.id,
    ).toBe("ord_h2");
    const overWeb = createClient(
      OrderService,
      createGrpcWebTransport({ baseUrl: service.url, httpVersion: "1.1", nodeOptions: trusting }),
    );
    expect((await overWeb.getOrder({ orderId: "ord_web" })).order?.id).toBe("ord_web");

    // The probe routes and metrics on the same port.
    const ready = await fetchWithTls(`${service.url}/health/ready`, { tls: trusting });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true });
    const metrics = await fetchWithTls(`${service.url}/metrics`, { tls: trusting });
    expect(metrics.body).toContain(
      'kassa_rpc_requests_total{method="kassa.order.v1.OrderService/GetOrder",code="ok",service="fixture"} 4',
    );
    const started = logs.lines.map((line) => JSON.parse(line)).find((line) => line.port);
    expect(started).toMatchObject({ port: service.port, tls: "on" });
  });

  it("lets a Go gRPC client (buf curl) check health, verifying the certificate", async () => {
    const { service } = await start(certs.serviceEnv());
    const checked = await execFileAsync("buf", [
      ...["curl", "--protocol", "grpc", "--cacert", certs.caFile],
      `https://localhost:${service.port}/grpc.health.v1.Health/Check`,
    ]);
    expect(JSON.parse(checked.stdout)).toEqual({ status: "SERVING" });
  });

  it("refuses a client that does not trust its CA, and a cleartext client", async () => {
    const { service, address } = await start(certs.serviceEnv());
    // Node's built-in CAs do not include the test CA.
    await expect(fetchWithTls(`${service.url}/health/ready`)).rejects.toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    await expect(grpcJsGetOrder(address, "ord_x", grpcJsTls({}))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    await expect(
      fetchWithTls(`${service.url.replace("https:", "http:")}/health/ready`),
    ).rejects.toMatchObject({ code: "ECONNRESET" });
    await expect(grpcJsGetOrder(address, "ord_x")).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
  });

  it("keeps cleartext as the default", async () => {
    const { service } = await start({});
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
    expect((await fetchWithTls(`${service.url}/health/live`)).status).toBe(200);
  });
});

describe("mutual TLS (TLS_CLIENT_AUTH=require)", () => {
  it("refuses callers without a certificate, or with one its CA did not sign", async () => {
    const { service, address } = await start(certs.serviceEnv({ mutual: true }));
    const ready = `${service.url}/health/ready`;
    // The server's alert, or the reset that follows it when the client had already written.
    const refused = { code: expect.stringMatching(/^(ERR_SSL_TLSV13?_ALERT_\w+|ECONNRESET)$/) };
    await expect(fetchWithTls(ready, { tls: certs.clientTls() })).rejects.toMatchObject(refused);
    await expect(
      fetchWithTls(ready, { tls: certs.clientTls(certs.stranger) }),
    ).rejects.toMatchObject(refused);
    await expect(
      grpcJsGetOrder(address, "ord_x", grpcJsTls(certs.clientTls())),
    ).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const stranger = orderClient(service.url, "2", certs.clientTls(certs.stranger));
    await expect(stranger.getOrder({ orderId: "ord_x" })).rejects.toThrow();
  });

  it("serves callers presenting a certificate its CA signed, on every protocol", async () => {
    const { service, address, logs } = await start(certs.serviceEnv({ mutual: true }));
    const operator = certs.clientTls(certs.client);
    expect((await fetchWithTls(`${service.url}/health/ready`, { tls: operator })).status).toBe(200);
    await expect(grpcJsGetOrder(address, "ord_grpc", grpcJsTls(operator))).resolves.toMatchObject({
      order: { id: "ord_grpc" },
    });
    expect((await connectJson(service.url, { orderId: "ord_json" }, operator)).status).toBe(200);
    expect(
      (await orderClient(service.url, "2", operator).getOrder({ orderId: "ord_h2" })).order?.id,
    ).toBe("ord_h2");
    const checked = await execFileAsync("buf", [
      ...["curl", "--protocol", "grpc", "--cacert", certs.caFile],
      ...["--cert", certs.client.certFile, "--key", certs.client.keyFile],
      `https://localhost:${service.port}/grpc.health.v1.Health/Check`,
    ]);
    expect(JSON.parse(checked.stdout)).toEqual({ status: "SERVING" });
    const started = logs.lines.map((line) => JSON.parse(line)).find((line) => line.port);
    expect(started).toMatchObject({ tls: "mutual" });
  });
});

/** A service with one dependency: its GetOrder asks the fixture through its real client. */
const relayService = defineService({
  name: "relay",
  service: OrderService,
  defaultPort: 0,
  access: { kind: "public" },
  dependencies: { order: OrderService },
  env: {},
  database: fixtureService.database,
  setup: (context) => ({
    routes(router) {
      router.service(OrderService, {
        getOrder: (request) => context.clients.order.getOrder({ orderId: request.orderId }),
      });
    },
  }),
});

describe("a service calling another over mutual TLS", () => {
  it("calls through its dependency client, and its dependency check is healthy", async () => {
    const { service: fixture } = await start(certs.serviceEnv({ mutual: true }));
    const { service: relay } = await start(
      { ...certs.serviceEnv({ mutual: true }), ORDER_URL: fixture.url },
      relayService,
    );
    const operator = certs.clientTls(certs.client);
    const relayed = await orderClient(relay.url, "1.1", operator).getOrder({
      orderId: "ord_relayed",
    });
    expect(relayed.order?.id).toBe("ord_relayed");
    await eventually(async () => {
      const health = await fetchWithTls(`${relay.url}/health`, { tls: operator });
      expect(JSON.parse(health.body)).toMatchObject({
        status: "healthy",
        checks: expect.arrayContaining([
          expect.objectContaining({ name: "dependency:order", status: "healthy" }),
        ]),
      });
    });
  });

  it("cannot reach a dependency that requires a certificate when it has none to present", async () => {
    const { service: fixture } = await start(certs.serviceEnv({ mutual: true }));
    // Trusts the CA, but has no certificate of its own (its port is cleartext).
    const { service: relay } = await start(
      { TLS_CA_FILE: certs.caFile, ORDER_URL: fixture.url },
      relayService,
    );
    await rejectionOf(orderClient(relay.url, "1.1", {}).getOrder({ orderId: "ord_relayed" }));
    await eventually(async () => {
      const health = JSON.parse((await fetchWithTls(`${relay.url}/health`)).body);
      const check = health.checks.find((c: { name: string }) => c.name === "dependency:order");
      expect(check).toMatchObject({ status: "degraded" });
      // Why, in its message or metadata: the dependency asked for a certificate.
      expect(JSON.stringify(check)).toContain("alert certificate required");
    });
  });
});

describe("draining over TLS", () => {
  it("finishes calls in flight on HTTP/2 and HTTP/1.1 after the listener closes, then refuses", async () => {
    const { service, logs } = await start(certs.serviceEnv());
    rememberPort(service.port);
    const trusting = certs.clientTls();
    const overH2 = orderClient(service.url, "2", trusting).getOrder({ orderId: "slow" });
    const overH1 = connectJson(service.url, { orderId: "slow" }, trusting);
    await eventually(() =>
      expect(logs.messages().filter((message) => message === "slow call started")).toHaveLength(2),
    );

    await service.stop();
    expect((await overH2).order?.id).toBe("slow");
    const h1 = await overH1;
    expect(h1.status).toBe(200);
    expect(JSON.parse(h1.body)).toEqual({ order: { id: "slow" } });
    expect(
      logs
        .messages()
        .filter((message) => message === "slow call finishing after the listener closed"),
    ).toHaveLength(2);
    await expect(
      fetchWithTls(`${service.url}/health/live`, { tls: trusting }),
    ).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });
});
