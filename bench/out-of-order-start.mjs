// How long payments are refused when the platform starts, or a dependency restarts, in the wrong
// order: six real service processes on Postgres + Redis, payments sent without pause the whole
// time (concurrency BENCH_CONCURRENCY, default 4).
//   npm run bench -- out-of-order-start
// 1. The gateway and merchant start first; order, channel, risk and accounting start later, all
//    at once. Printed: from "all six ready" to the first SUCCEEDED payment.
// 2. Everything running; order is SIGKILLed and started again. Printed: from "order ready
//    again" to the first SUCCEEDED payment, and what failed meanwhile.
// Before breakers followed their dependency's health, the first run refused payments for the
// breaker's whole 30 s half-open wait.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GatewayService, PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import {
  createTestDatabase,
  freePort,
  testClient,
  testRedisUrl,
  uniqueRedisPrefix,
} from "@kassa/platform/testing";
import { ms, summarise } from "./stats.mjs";

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
// How many more successes to see after the first, to know they keep coming (BENCH_CALLS: a
// quick run, as the test suite makes).
const confirmations = process.env.BENCH_CALLS ? 3 : 20;
const root = fileURLToPath(new URL("..", import.meta.url));
const names = ["gateway", "merchant", "order", "channel", "risk", "accounting"];
const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()])));
const url = (name) => `http://127.0.0.1:${ports[name]}`;
const database = await createTestDatabase("bench_out_of_order");
const tokens = {
  internal: randomBytes(32).toString("base64url"),
  admin: randomBytes(32).toString("base64url"),
};
const env = {
  ...process.env,
  DATABASE_URL: database.url,
  REDIS_URL: testRedisUrl,
  REDIS_KEY_PREFIX: uniqueRedisPrefix("bench-order"),
  KASSA_INTERNAL_TOKEN: tokens.internal,
  KASSA_ADMIN_TOKEN: tokens.admin,
  LOG_LEVEL: "warn",
  GATEWAY_RATE_LIMIT_PER_MINUTE: "1000000000",
  ...Object.fromEntries(names.map((n) => [`${n.toUpperCase()}_URL`, url(n)])),
};

const processes = new Map();
function start(name) {
  const child = spawn(process.execPath, [path.join(root, `services/${name}/dist/main.js`)], {
    env: { ...env, PORT: String(ports[name]) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  processes.set(name, child);
  return child;
}
const isReady = (name) =>
  fetch(`${url(name)}/health/ready`).then(
    (response) => response.ok,
    () => false,
  );
async function until(probe, ...which) {
  while (!(await Promise.all(which.map(probe))).every(Boolean)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now();
}
const untilReady = (...which) => until(isReady, ...which);

start("gateway");
start("merchant");
await untilReady("merchant");
// The gateway listens (alive) but is not ready: four of its dependencies are missing.
await until(
  (name) =>
    fetch(`${url(name)}/health/live`).then(
      (response) => response.ok,
      () => false,
    ),
  "gateway",
);
const merchants = testClient(MerchantService, url("merchant"), tokens.admin);
const { merchant } = await merchants.createMerchant({ name: "Bench Merchant" });
const { secret } = await merchants.createApiKey({ merchantId: merchant.id, name: "bench" });
const gateway = testClient(GatewayService, url("gateway"), secret);

// Every payment is new (a repeated key would be answered from the idempotency record).
let sequence = 0;

/** Pays without pause until stopped; records when each payment came back and how. */
function payContinuously() {
  const outcomes = [];
  let stopped = false;
  const workers = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      sequence++;
      const sentAt = performance.now();
      const outcome = await gateway
        .createPayment({
          idempotencyKey: `order-bench-${sequence}`,
          merchantOrderNo: `order-bench-${sequence}`,
          amount: 1999n,
          currency: "USD",
          paymentMethod: "tok_visa",
        })
        .then(
          ({ payment }) =>
            payment.status === PaymentStatus.FAILED
              ? `FAILED ${payment.failureCode}`
              : PaymentStatus[payment.status],
          (error) => `error ${error.code}`,
        );
      outcomes.push({ sentAt, at: performance.now(), outcome });
    }
  });
  return {
    outcomes,
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}
const firstSuccessAfter = (outcomes, at) =>
  outcomes.find((o) => o.at >= at && o.outcome === "SUCCEEDED")?.at;
/** What became of the payments sent once `readyAt` had passed, the first one first. */
const sentAfter = (outcomes, readyAt) => {
  const sent = outcomes.filter((o) => o.sentAt >= readyAt).sort((a, b) => a.sentAt - b.sentAt);
  return `first one ${sent[0]?.outcome}; all ${sent.length}: ${tally(sent)}`;
};
const tally = (outcomes) => {
  const counts = {};
  for (const { outcome } of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return Object.entries(counts)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(", ");
};
/** Pays until the first success after `readyAt`, then a little longer to see they keep coming. */
async function untilSucceeding(run, readyAt) {
  while (firstSuccessAfter(run.outcomes, readyAt) === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const first = firstSuccessAfter(run.outcomes, readyAt);
  while (run.outcomes.filter((o) => o.at > first).length < confirmations) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return first;
}

console.log(
  `payments refused around a start or restart in the wrong order (concurrency ${concurrency})`,
);

// 1. The platform starting in the wrong order.
let run = payContinuously();
for (const name of ["order", "channel", "risk", "accounting"]) start(name);
const allReady = await untilReady(...names);
let first = await untilSucceeding(run, allReady);
await run.stop();
console.log(
  `  start, gateway first: all six ready -> first SUCCEEDED answer: ${ms(first - allReady)}`,
);
console.log(
  `    answered before all were ready: ${tally(run.outcomes.filter((o) => o.at < allReady)) || "none"}`,
);
console.log(`    sent after all were ready: ${sentAfter(run.outcomes, allReady)}`);

// 2. A dependency killed and started again while payments flow.
run = payContinuously();
await new Promise((resolve) => setTimeout(resolve, 500)); // some traffic first
const order = processes.get("order");
order.kill("SIGKILL");
await once(order, "exit");
const killedAt = performance.now();
await new Promise((resolve) => setTimeout(resolve, 1000)); // down for a second
start("order");
const orderReady = await untilReady("order");
first = await untilSucceeding(run, orderReady);
await run.stop();

const metrics = await (await fetch(`${url("gateway")}/metrics`)).text();
const opened =
  metrics.match(
    /kassa_breaker_transitions_total\{[^}]*dependency="order"[^}]*to="open"[^}]*\} (\d+)/,
  )?.[1] ?? "0";
console.log(
  `  restart: order ready again -> first SUCCEEDED answer: ${ms(first - orderReady)} (order was down ${ms(orderReady - killedAt)})`,
);
console.log(
  `    answered while order was down: ${tally(run.outcomes.filter((o) => o.at >= killedAt && o.at < orderReady)) || "none"}`,
);
console.log(
  `    sent after order was ready: ${sentAfter(run.outcomes, orderReady)}; the order breaker opened ${opened} time(s)`,
);
const latencies = run.outcomes.filter((o) => o.outcome === "SUCCEEDED").map((o) => o.at - o.sentAt);
console.log(`    (a SUCCEEDED payment took ${ms(summarise(latencies).p50)} at p50 in this run)`);

for (const child of processes.values()) child.kill("SIGTERM");
await Promise.all(
  [...processes.values()].filter((c) => c.exitCode === null).map((c) => once(c, "exit")),
);
await database.drop();
process.exit(0);
