import {
  Code,
  ConnectError,
  createClient,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../observability/logger.js";
import { defineService } from "../server/service-definition.js";
import { type RunningService, startService } from "../server/service-runtime.js";
import { fixtureService } from "../test-fixtures/fixture-service.js";
import {
  createTestDatabase,
  eventually,
  rejectionOf,
  startTestServer,
  type TestDatabase,
  testClient,
  testServiceEnv,
} from "../testing/index.js";
import {
  createDeadlineBudgetInterceptor,
  isBudgetSpentBeforeCall,
  isCallerBudgetError,
  remainingBudgetMs,
} from "./deadline-budget.js";
import { createDependencyBreaker } from "./dependency-breaker.js";
import { createResilientClient } from "./resilient-client.js";

// A caller service A whose GetOrder calls its dependency B's GetOrder, both real services on
// real ports. B is slow: it answers only when its call's signal aborts. A's configured deadline
// for B is 30 s, so anything shorter that B sees came from the caller's budget.

/** What B saw of each call: the deadline header it arrived with, and whether it was cut. */
let dependencyCalls: Array<{ grpcTimeout: string | null; aborted: boolean }> = [];
/** What A's dependency call failed with, as A's handler saw it. */
let callerSaw: unknown[] = [];

const dependencyService = defineService({
  ...fixtureService,
  name: "dependency",
  setup: () => ({
    routes(router) {
      router.service(OrderService, {
        async getOrder(_request, context: HandlerContext) {
          const call = { grpcTimeout: context.requestHeader.get("grpc-timeout"), aborted: false };
          dependencyCalls.push(call);
          await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
          call.aborted = true;
          return {};
        },
      });
    },
  }),
});

const callerService = defineService({
  ...fixtureService,
  name: "caller",
  dependencies: { dependency: OrderService },
  setup: (context) => ({
    routes(router) {
      router.service(OrderService, {
        async getOrder(request) {
          try {
            return await context.clients.dependency.getOrder(request);
          } catch (error) {
            callerSaw.push(error);
            throw error;
          }
        },
      });
    },
  }),
});

let database: TestDatabase;
let dependency: RunningService<never, never, never>;
let caller: RunningService<never, { dependency: typeof OrderService }, never>;

beforeAll(async () => {
  database = await createTestDatabase("deadline_budget");
  const env = (extra: Record<string, string>) =>
    testServiceEnv({ databaseUrl: database.url, extra });
  dependency = (await startService(dependencyService, { env: env({}) })) as typeof dependency;
  caller = (await startService(callerService, {
    env: env({
      DEPENDENCY_URL: dependency.url,
      DEPENDENCY_TIMEOUT_MS: "30000",
      DEPENDENCY_RETRIES: "0",
      HEALTH_POLL_INTERVAL_MS: "50",
    }),
  })) as unknown as typeof caller;
  // Seen SERVING, so the breaker's policy applies in full to every call below.
  await caller.context.dependencyHealth.dependency.untilServing(AbortSignal.timeout(60_000));
});
afterAll(async () => {
  await Promise.all([caller?.stop(), dependency?.stop()]);
  await database?.drop();
});
beforeEach(() => {
  dependencyCalls = [];
  callerSaw = [];
});

/** The deadline `grpc-timeout` carries (A's transport always sends whole milliseconds). */
const headerMs = (value: string | null) => Number(/^(\d+)m$/.exec(value ?? "")?.[1]);

describe("deadline budgets across services", () => {
  it("cuts a dependency slower than the caller's budget at the budget, not at its own 30 s", async () => {
    const error = await rejectionOf(
      testClient(OrderService, caller.url).getOrder({ orderId: "ord_1" }, { timeoutMs: 300 }),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);

    await eventually(() => expect(dependencyCalls).toMatchObject([{ aborted: true }]));
    const sent = headerMs(dependencyCalls[0]?.grpcTimeout ?? null);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(300);
    await eventually(() => expect(callerSaw).toHaveLength(1));
    expect(ConnectError.from(callerSaw[0]).code).toBe(Code.DeadlineExceeded);
    expect(isCallerBudgetError(callerSaw[0])).toBe(true);
    expect(isBudgetSpentBeforeCall(callerSaw[0])).toBe(false);
  });

  it("never lets a caller's budget open the dependency's breaker", async () => {
    const client = testClient(OrderService, caller.url);
    const errors = await Promise.all(
      Array.from({ length: 6 }, () =>
        rejectionOf(client.getOrder({ orderId: "ord_1" }, { timeoutMs: 200 })),
      ),
    );
    expect(errors.map((error) => error.code)).toEqual(Array(6).fill(Code.DeadlineExceeded));
    await eventually(() => expect(callerSaw).toHaveLength(6));
    expect(callerSaw.every(isCallerBudgetError)).toBe(true);
    expect(caller.context.breakers.dependency.state).toBe("closed");
  });

  it("fails a request that arrives with its budget spent without ever calling the dependency", async () => {
    // A budget of 0 ms, sent as is: the client itself sets no deadline and waits for A.
    const spentBudget: Interceptor = (next) => (request) => {
      request.header.set("connect-timeout-ms", "0");
      return next(request);
    };
    const client = createClient(
      OrderService,
      createConnectTransport({
        baseUrl: caller.url,
        httpVersion: "1.1",
        interceptors: [spentBudget],
      }),
    );
    const error = await rejectionOf(client.getOrder({ orderId: "ord_1" }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(dependencyCalls).toHaveLength(0);
    await eventually(() => expect(callerSaw).toHaveLength(1));
    expect(isBudgetSpentBeforeCall(callerSaw[0])).toBe(true);
  });
});

/** Runs `work` as if inside an inbound call that arrived with `headers`. */
function insideCall<T>(headers: Record<string, string>, work: () => Promise<T>): Promise<T> {
  let result: T | undefined;
  const next = async () => {
    result = await work();
    return {} as never;
  };
  const request = { header: new Headers(headers) } as Parameters<ReturnType<Interceptor>>[0];
  return createDeadlineBudgetInterceptor()(next)(request).then(() => result as T);
}

describe("remainingBudgetMs", () => {
  it("reads the budget from grpc-timeout in any unit, or from connect-timeout-ms", async () => {
    expect(await insideCall({ "grpc-timeout": "2S" }, async () => remainingBudgetMs())).toSatisfy(
      (ms: number) => ms > 1000 && ms <= 2000,
    );
    expect(await insideCall({ "grpc-timeout": "1M" }, async () => remainingBudgetMs())).toSatisfy(
      (ms: number) => ms > 59_000 && ms <= 60_000,
    );
    expect(
      await insideCall({ "connect-timeout-ms": "750" }, async () => remainingBudgetMs()),
    ).toSatisfy((ms: number) => ms > 0 && ms <= 750);
  });

  it("is undefined for a call without a deadline and outside any call", async () => {
    expect(await insideCall({}, async () => remainingBudgetMs())).toBeUndefined();
    expect(remainingBudgetMs()).toBeUndefined();
  });

  it("does not leak into background work a call wakes", async () => {
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // A relay loop, started outside any call, waiting to be woken.
    const background = (async () => {
      await woken;
      return remainingBudgetMs();
    })();
    await insideCall({ "grpc-timeout": "300m" }, async () => wake());
    expect(await background).toBeUndefined();
  });
});

describe("retries under a budget", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("never sends a retry once the caller's budget is spent", async () => {
    // The first attempt fails UNAVAILABLE (retryable) and, as it does, the budget's clock
    // jumps past the deadline: the retry must be refused, not sent.
    let clockJumpMs = 0;
    const realNow = performance.now.bind(performance);
    vi.spyOn(performance, "now").mockImplementation(() => realNow() + clockJumpMs);
    let attempts = 0;
    const upstream = await startTestServer((router) => {
      router.service(OrderService, {
        async getOrder() {
          attempts++;
          clockJumpMs = 10_000;
          throw new ConnectError("scripted failure", Code.Unavailable);
        },
      });
    });
    try {
      const client = createResilientClient(
        OrderService,
        createGrpcTransport({ baseUrl: upstream.url }),
        {
          breaker: createDependencyBreaker("order", {
            logger: createLogger({ service: "test", level: "silent" }),
          }),
          retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 },
        },
      );
      const error = await insideCall({ "grpc-timeout": "5S" }, () =>
        rejectionOf(client.getOrder({ orderId: "ord_1" })),
      );
      expect(attempts).toBe(1);
      expect(error.code).toBe(Code.DeadlineExceeded);
      expect(isBudgetSpentBeforeCall(error)).toBe(true);
    } finally {
      await upstream.close();
    }
  });
});
