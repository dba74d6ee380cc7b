import { Code, ConnectError } from "@connectrpc/connect";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixtureService } from "../test-fixtures/fixture-service.js";
import {
  captureLogs,
  createTestDatabase,
  eventually,
  freePort,
  type TestDatabase,
  testServiceEnv,
} from "../testing/index.js";
import { defineService } from "./service-definition.js";
import { startService } from "./service-runtime.js";

// A caller and the dependency it calls, both real services on real ports, the dependency
// stopped and started again on the same port as a restart or a start in the wrong order would.

const callerService = defineService({
  name: "caller",
  service: fixtureService.service,
  defaultPort: 0,
  access: fixtureService.access,
  dependencies: { fixture: OrderService },
  env: {},
  database: fixtureService.database,
  setup: () => ({ routes() {} }),
});

let database: TestDatabase;
const running: Array<{ stop(): Promise<void> }> = [];
beforeAll(async () => {
  database = await createTestDatabase("dependency_recovery");
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});
afterAll(() => database.drop());

const env = (extra: Record<string, string>) =>
  testServiceEnv({
    databaseUrl: database.url,
    extra: { HEALTH_POLL_INTERVAL_MS: "50", LOG_LEVEL: "info", ...extra },
  });

/** The dependency on `port`; stop() and start() again to restart it on the same port. */
function dependencyOn(port: number) {
  let service: { stop(): Promise<void> } | undefined;
  const handle = {
    async start() {
      service = await startService(fixtureService, { env: env({ PORT: String(port) }) });
    },
    async stop() {
      await service?.stop();
      service = undefined;
    },
  };
  running.push(handle);
  return handle;
}

/** The caller, with a half-open wait (10 min) no test could wait out. */
async function startCaller(dependencyPort: number) {
  const logs = captureLogs();
  const caller = await startService(callerService, {
    env: env({
      FIXTURE_URL: `http://127.0.0.1:${dependencyPort}`,
      FIXTURE_BREAKER_HALF_OPEN_AFTER_MS: "600000",
      FIXTURE_RETRIES: "0",
    }),
    logDestination: logs.stream,
  });
  running.push(caller);
  const { clients, breakers, dependencyHealth } = caller.context;
  const call = () =>
    clients.fixture.getOrder({ orderId: "ord_1" }).then(
      () => "ok",
      (error: unknown) => Code[ConnectError.from(error).code],
    );
  const ready = async () => (await fetch(`${caller.url}/health/ready`)).status;
  return {
    call,
    ready,
    logs,
    breaker: breakers.fixture,
    health: dependencyHealth.fixture,
    metrics: caller.context.metrics,
  };
}

describe("a dependency that starts late or restarts", () => {
  it("is used as soon as it is up after its caller, and its absence before opened no breaker", async () => {
    const port = await freePort();
    const caller = await startCaller(port);
    const refused = await Promise.all(Array.from({ length: 10 }, caller.call));
    expect(refused).toEqual(Array(10).fill("Unavailable"));
    expect(caller.breaker.state).toBe("closed");
    expect(caller.health.status).toBe("unreachable");
    expect(await caller.ready()).toBe(503);

    await dependencyOn(port).start();
    expect(await caller.health.untilServing(AbortSignal.timeout(60_000))).toBe(true);
    expect(await caller.call()).toBe("ok");
    const transitions = await caller.metrics.registry.getSingleMetricAsString(
      "kassa_breaker_transitions_total",
    );
    expect(transitions).not.toMatch(/to="open"/);
    await eventually(async () => expect(await caller.ready()).toBe(200));
  });

  it("closes the breaker the moment the restarted dependency says SERVING, not after the half-open wait", async () => {
    const port = await freePort();
    const dependency = dependencyOn(port);
    await dependency.start();
    const caller = await startCaller(port);
    expect(await caller.health.untilServing(AbortSignal.timeout(60_000))).toBe(true);
    expect(await caller.call()).toBe("ok");

    await dependency.stop();
    await eventually(() => expect(caller.health.status).not.toBe("serving"));
    expect(await Promise.all(Array.from({ length: 5 }, caller.call))).toEqual(
      Array(5).fill("Unavailable"),
    );
    expect(caller.breaker.state).toBe("open");
    // Really down: readiness goes, once the evidence is sustained.
    await eventually(async () => expect(await caller.ready()).toBe(503));

    await dependency.start();
    await eventually(() => expect(caller.breaker.state).toBe("closed"));
    expect(await caller.call()).toBe("ok");
    expect(caller.logs.messages()).toEqual(
      expect.arrayContaining([
        "breaker fixture: closed -> open",
        "breaker fixture: open -> closed (fixture reports SERVING)",
      ]),
    );
    await eventually(async () => expect(await caller.ready()).toBe(200));
  });
});
