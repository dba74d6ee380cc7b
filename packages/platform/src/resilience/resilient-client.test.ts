import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createDependencyStatus, type DependencyStatus } from "../health/dependency-health.js";
import { createLogger } from "../observability/logger.js";
import { createServiceMetrics } from "../observability/metrics.js";
import { captureLogs, rejectionOf, startTestServer, type TestServer } from "../testing/index.js";
import { createDependencyBreaker, type DependencyBreaker } from "./dependency-breaker.js";
import { createResilientClient } from "./resilient-client.js";
import { retryIdempotent } from "./retry-idempotent.js";

// The upstream is a real server on a real port; each test scripts how it answers.
type Answer = (context: HandlerContext) => Promise<void>;
const ok: Answer = async () => {};
const fail =
  (code: Code): Answer =>
  async () => {
    throw new ConnectError("scripted failure", code);
  };
const hang: Answer = (context) =>
  new Promise((resolve) => context.signal.addEventListener("abort", () => resolve()));

let script: Answer[] = [];
let upstreamCalls = 0;
let upstream: TestServer;

const answerNext = async (context: HandlerContext) => {
  upstreamCalls++;
  await (script.shift() ?? ok)(context);
};

beforeAll(async () => {
  upstream = await startTestServer((router) => {
    router.service(OrderService, {
      async getOrder(_request, context) {
        await answerNext(context);
        return {};
      },
    });
    router.service(RiskService, {
      async assess(_request, context) {
        await answerNext(context);
        return {};
      },
    });
  });
});
afterAll(() => upstream.close());

let breaker: DependencyBreaker;
let orderHealth: DependencyStatus;
let logs: ReturnType<typeof captureLogs>;
let metrics: ReturnType<typeof createServiceMetrics>;

const transport = () => createGrpcTransport({ baseUrl: upstream.url });
const orderClient = (options: { timeoutMs?: number; retry?: false } = { retry: false }) =>
  createResilientClient(OrderService, transport(), { breaker, metrics, ...options });

/** Calls GetOrder once per answer, returning each call's error code or "ok". */
async function callWith(answers: Answer[]): Promise<string[]> {
  const client = orderClient();
  const outcomes: string[] = [];
  for (const answer of answers) {
    script.push(answer);
    outcomes.push(
      await client.getOrder({ orderId: "ord_1" }).then(
        () => "ok",
        (error: unknown) => Code[ConnectError.from(error).code],
      ),
    );
  }
  script = [];
  return outcomes;
}

beforeEach(() => {
  script = [];
  upstreamCalls = 0;
  logs = captureLogs();
  metrics = createServiceMetrics("test");
  // The policy governs a dependency that fails while it says it is healthy: it says SERVING.
  orderHealth = createDependencyStatus("order");
  orderHealth.become("serving");
  breaker = createDependencyBreaker("order", {
    logger: createLogger({ service: "test", destination: logs.stream }),
    metrics,
    health: orderHealth,
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("dependency breaker", () => {
  it("trips when 3 of 5 calls fail", async () => {
    const unavailable = fail(Code.Unavailable);
    await callWith([ok, unavailable, ok, unavailable, unavailable]);
    expect(breaker.state).toBe("open");
  });

  it("stays closed when 2 of 5 calls fail", async () => {
    const unavailable = fail(Code.Unavailable);
    await callWith([unavailable, ok, unavailable, ok, ok]);
    expect(breaker.state).toBe("closed");
    expect(await callWith([ok])).toEqual(["ok"]);
  });

  it("needs at least 5 calls before it can trip", async () => {
    await callWith(Array(4).fill(fail(Code.DeadlineExceeded)));
    expect(breaker.state).toBe("closed");
  });

  it("counts every transient code: UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED", async () => {
    const transient = [
      Code.Unavailable,
      Code.DeadlineExceeded,
      Code.Internal,
      Code.Unknown,
      Code.ResourceExhausted,
    ];
    await callWith(transient.map(fail));
    expect(breaker.state).toBe("open");
  });

  it("is never tripped by caller errors such as INVALID_ARGUMENT or NOT_FOUND", async () => {
    const callerErrors = [Code.InvalidArgument, Code.NotFound, Code.FailedPrecondition];
    const outcomes = await callWith(
      Array.from({ length: 12 }, (_, i) => fail(callerErrors[i % 3] ?? Code.NotFound)),
    );
    expect(breaker.state).toBe("closed");
    expect(upstreamCalls).toBe(12);
    expect(outcomes.slice(0, 3)).toEqual(["InvalidArgument", "NotFound", "FailedPrecondition"]);
  });

  it("fails fast with UNAVAILABLE naming the dependency, without touching the network", async () => {
    await callWith(Array(5).fill(fail(Code.Unavailable)));
    const callsWhenOpened = upstreamCalls;

    const error = await rejectionOf(orderClient().getOrder({ orderId: "ord_1" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe("circuit open: order");
    expect(await callWith([ok, ok, ok])).toEqual(["Unavailable", "Unavailable", "Unavailable"]);
    expect(upstreamCalls).toBe(callsWhenOpened);
  });

  it("logs and exports every state change", async () => {
    await callWith(Array(5).fill(fail(Code.Unavailable)));
    expect(logs.messages()).toContain("breaker order: closed -> open");
    const gauge = await metrics.registry.getSingleMetricAsString("kassa_breaker_state");
    expect(gauge).toMatch(/kassa_breaker_state\{dependency="order",service="test"\} 2/);
  });

  it("half-opens after 30 s and closes after 3 successful trial calls", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await callWith(Array(5).fill(fail(Code.Unavailable)));
    const openedAt = Date.now();

    vi.setSystemTime(openedAt + 29_999);
    expect(await callWith([ok])).toEqual(["Unavailable"]);
    const callsBeforeHalfOpen = upstreamCalls;

    vi.setSystemTime(openedAt + 30_000);
    expect(await callWith([ok])).toEqual(["ok"]);
    expect(upstreamCalls).toBe(callsBeforeHalfOpen + 1);
    expect(breaker.state).toBe("half_open");
    expect(await callWith([ok])).toEqual(["ok"]);
    expect(breaker.state).toBe("half_open");
    expect(await callWith([ok])).toEqual(["ok"]);
    expect(breaker.state).toBe("closed");
    expect(logs.messages()).toEqual([
      "breaker order: closed -> open",
      "breaker order: open -> half-open",
      "breaker order: half-open -> closed",
    ]);
  });

  it("reopens when a trial call fails", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await callWith(Array(5).fill(fail(Code.Unavailable)));
    vi.setSystemTime(Date.now() + 30_000);
    expect(await callWith([ok, fail(Code.Unavailable)])).toEqual(["ok", "Unavailable"]);
    expect(breaker.state).toBe("open");
    const callsWhenReopened = upstreamCalls;
    expect(await callWith([ok])).toEqual(["Unavailable"]);
    expect(upstreamCalls).toBe(callsWhenReopened);
  });
});

describe("dependency breaker and the dependency's own health", () => {
  it("never opens on failures before the dependency was first seen SERVING", async () => {
    const starting = createDependencyStatus("order");
    breaker = createDependencyBreaker("order", {
      logger: createLogger({ service: "test", level: "silent" }),
      health: starting,
    });
    starting.become("unreachable", "connect ECONNREFUSED");
    expect(await callWith(Array(10).fill(fail(Code.Unavailable)))).toEqual(
      Array(10).fill("Unavailable"),
    );
    expect(breaker.state).toBe("closed");
    expect(upstreamCalls).toBe(10);

    // Once seen up, the policy applies in full.
    starting.become("serving");
    await callWith(Array(5).fill(fail(Code.Unavailable)));
    expect(breaker.state).toBe("open");
  });

  it("closes the moment the dependency reports SERVING again, long before its half-open time", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    orderHealth.become("unreachable", "connect ECONNREFUSED");
    await callWith(Array(5).fill(fail(Code.Unavailable)));
    expect(breaker.state).toBe("open");
    expect(await callWith([ok])).toEqual(["Unavailable"]);

    vi.setSystemTime(Date.now() + 1_000); // far from the 30 s half-open wait
    orderHealth.become("serving");
    expect(breaker.state).toBe("closed");
    expect(await callWith([ok, ok])).toEqual(["ok", "ok"]);
    // A fresh window: one more failure does not trip it again at once.
    expect(await callWith([fail(Code.Unavailable), ok])).toEqual(["Unavailable", "ok"]);
    expect(breaker.state).toBe("closed");
    expect(logs.messages()).toEqual([
      "breaker order: closed -> open",
      "breaker order: open -> closed (order reports SERVING)",
    ]);
    const transitions = await metrics.registry.getSingleMetricAsString(
      "kassa_breaker_transitions_total",
    );
    expect(transitions).toMatch(/dependency="order",from="open",to="closed"[^}]*\} 1/);
  });

  it("stays open while a failing dependency keeps saying SERVING", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await callWith(Array(5).fill(fail(Code.Internal)));
    expect(breaker.state).toBe("open");
    orderHealth.become("serving"); // no change: it never stopped saying so
    vi.setSystemTime(Date.now() + 29_000);
    expect(await callWith([ok])).toEqual(["Unavailable"]);
    expect(breaker.state).toBe("open");
  });
});

describe("resilient client", () => {
  it("gives DEADLINE_EXCEEDED at the configured deadline when the dependency is slow", async () => {
    script = [hang];
    const started = performance.now();
    const error = await rejectionOf(
      orderClient({ timeoutMs: 200, retry: false }).getOrder({ orderId: "ord_1" }),
    );
    const elapsed = performance.now() - started;
    expect(error.code).toBe(Code.DeadlineExceeded);
    // Not cut early. (The dependency never answers on its own, so only the deadline ends it.)
    expect(elapsed).toBeGreaterThanOrEqual(190);
  });

  it("retries an idempotent method on UNAVAILABLE", async () => {
    script = [fail(Code.Unavailable), fail(Code.Unavailable), ok];
    const client = createResilientClient(OrderService, transport(), {
      breaker,
      retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 },
    });
    await expect(client.getOrder({ orderId: "ord_1" })).resolves.toBeDefined();
    expect(upstreamCalls).toBe(3);
  });

  it("never retries a method the contract does not mark idempotent", async () => {
    script = [fail(Code.Unavailable), ok];
    const client = createResilientClient(RiskService, transport(), {
      breaker,
      retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 },
    });
    await expect(client.assess({ merchantId: "mer_1" })).rejects.toMatchObject({
      code: Code.Unavailable,
    });
    expect(upstreamCalls).toBe(1);
  });

  it("does not retry DEADLINE_EXCEEDED: the caller's time is spent", async () => {
    script = [hang, ok];
    const client = createResilientClient(OrderService, transport(), {
      breaker,
      timeoutMs: 100,
      retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 },
    });
    await expect(client.getOrder({ orderId: "ord_1" })).rejects.toMatchObject({
      code: Code.DeadlineExceeded,
    });
    expect(upstreamCalls).toBe(1);
  });

  it("does not retry caller errors", async () => {
    script = [fail(Code.InvalidArgument), ok];
    const client = createResilientClient(OrderService, transport(), { breaker });
    await expect(client.getOrder({ orderId: "" })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    expect(upstreamCalls).toBe(1);
  });

  it("refuses to build a retry around a non-idempotent method", () => {
    expect(() => retryIdempotent(RiskService.method.assess, () => Promise.resolve())).toThrow(
      /not idempotent/,
    );
  });
});
