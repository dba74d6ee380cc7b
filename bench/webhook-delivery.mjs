// Webhook delivery throughput and lag, against the whole platform as `kassa start` runs it on
// Postgres + Redis, with receivers that are real HTTP servers verifying every signature.
//   npm run bench -- webhook-delivery
// 1. live: payments at concurrency 8 for BENCH_SECONDS (default 10) while ENDPOINTS (default 4)
//    healthy endpoints and one that never answers are subscribed to every event type: events
//    delivered per second, and the lag from the event's creation to its receipt (p50/p99) at
//    the healthy endpoints, which the hanging one must not hold up.
// 2. backlog: the receivers answer 503 while BENCH_BACKLOG_PAYMENTS (default 200) payments are
//    made, then 200: how fast the relay drains what piled up (deliveries per second), and the
//    gateway's CPU per delivery while it does.
// Retries are made quick here (WEBHOOK_BACKOFF_INITIAL_MS 200, MAX 1000) and the per-host
// breaker is kept shut (WEBHOOK_BREAKER_FAILURES very high) so the backlog drains at the relay's
// pace, not the schedule's or the breaker's 30 s pause. The hanging endpoint listens on another
// loopback address (127.0.0.2), so it is another host with a breaker of its own, as it would be.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { verifyWebhookSignature } from "@kassa/webhooks";
import { startKassa } from "./kassa-platform.mjs";
import { processCpuMs, processTree } from "./process-tree.mjs";
import { ms, summarise } from "./stats.mjs";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const endpointCount = Number(process.env.ENDPOINTS ?? 4);
const backlogPayments = Number(
  process.env.BENCH_BACKLOG_PAYMENTS ?? (process.env.BENCH_CALLS ? 10 : 200),
);
const portBase = Number(process.env.BENCH_PORT_BASE ?? 18280);

/** A receiver: verifies each POST with its endpoint's secret and records each event once. */
function startReceiver() {
  const secrets = new Map(); // path → secret
  const received = new Map(); // `${path} ${event id}` → receipt time (ms since epoch)
  let answer = 200;
  let refused = 0;
  let forged = 0;
  const waiters = [];
  const server = createServer((request, response) => {
    if (request.url === "/hang") return; // never answers: the relay's timeout ends it
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        verifyWebhookSignature(
          body,
          request.headers["kassa-signature"],
          secrets.get(request.url) ?? "",
        );
      } catch {
        forged++;
        response.writeHead(400).end();
        return;
      }
      if (answer !== 200) {
        refused++;
        response.writeHead(answer).end();
        return;
      }
      const event = JSON.parse(body);
      const key = `${request.url} ${event.id}`;
      if (!received.has(key)) received.set(key, { at: Date.now(), createdAt: event.createdAt });
      response.writeHead(200).end();
      for (const waiter of waiters.splice(0)) waiter();
    });
  });
  return {
    secrets,
    received,
    set answer(status) {
      answer = status;
    },
    get refused() {
      return refused;
    },
    get forged() {
      return forged;
    },
    /** Resolves once `count` distinct deliveries have arrived. */
    async until(count) {
      while (received.size < count) await new Promise((resolve) => waiters.push(resolve));
    },
    // Every loopback address (127.0.0.0/8), so the hanging endpoint can be another host.
    listen: () =>
      new Promise((resolve) => server.listen(0, "0.0.0.0", () => resolve(server.address().port))),
    close: () => new Promise((resolve) => server.close(resolve)).then(() => undefined),
    closeAll: () => server.closeAllConnections(),
  };
}

const receiver = startReceiver();
const port = await receiver.listen();
const kassa = await startKassa({
  label: "bench_webhooks",
  portBase,
  env: {
    WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    WEBHOOK_SECRET_KEY: randomBytes(32).toString("hex"),
    WEBHOOK_TIMEOUT_MS: "2000",
    WEBHOOK_BACKOFF_INITIAL_MS: "200",
    WEBHOOK_BACKOFF_MAX_MS: "1000",
    WEBHOOK_MAX_ATTEMPTS: "100",
    WEBHOOK_POLL_INTERVAL_MS: "200",
    WEBHOOK_BREAKER_FAILURES: "1000000",
  },
});

const register = async (path, host = "127.0.0.1") => {
  const { secret } = await kassa.gateway.createWebhookEndpoint({
    url: `http://${host}:${port}${path}`,
    enabledEvents: ["*"],
    description: `bench ${path}`,
  });
  receiver.secrets.set(path, secret);
};
for (let i = 0; i < endpointCount; i++) await register(`/healthy-${i}`);
await register("/hang", "127.0.0.2");

/** The gateway's process: the supervisor's descendant whose command line runs its main.js. */
const gatewayPids = () =>
  processTree(kassa.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("services/gateway/");
    } catch {
      return false; // it has exited
    }
  });

/** Makes payments at concurrency 8 until `stop()` says so; resolves with how many succeeded. */
async function pay(stop) {
  let succeeded = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (!stop()) {
        const { payment } = await kassa.pay();
        if (payment?.status === 3) succeeded++; // SUCCEEDED
      }
    }),
  );
  return succeeded;
}

console.log(
  `webhook delivery, kassa start on Postgres + Redis, ${endpointCount} healthy endpoints + 1 that never answers, every event type`,
);
console.log(
  "  machine speed varies about 3x between boxes: compare within one run, not across runs",
);

// 1. Live.
const liveStart = Date.now();
const livePayments = await pay(() => Date.now() - liveStart > seconds * 1000);
// Each tok_visa payment makes two events (processing, succeeded), each to every endpoint.
const liveExpected = livePayments * 2 * endpointCount;
await receiver.until(liveExpected);
const liveEnd = Math.max(...[...receiver.received.values()].map((r) => r.at));
const lags = [...receiver.received.values()].map((r) => r.at - Date.parse(r.createdAt));
const lag = summarise(lags);
console.log(
  `  live: ${livePayments} payments in ${seconds} s → ${liveExpected} deliveries to the healthy endpoints, ` +
    `${((liveExpected / (liveEnd - liveStart)) * 1000).toFixed(1)} deliveries/s; ` +
    `lag from event to receipt p50 ${ms(lag.p50)}, p99 ${ms(lag.p99)} (the hanging endpoint held only its own)`,
);

// 2. Backlog.
const before = receiver.received.size;
receiver.answer = 503;
let started = 0;
const backlogMade = await pay(() => started++ >= backlogPayments);
const backlogExpected = backlogMade * 2 * endpointCount;
const pids = gatewayPids();
if (pids.length === 0) throw new Error("no gateway process found under the supervisor");
const cpuBefore = processCpuMs(pids);
const drainStart = Date.now();
receiver.answer = 200;
await receiver.until(before + backlogExpected);
const drainMs = Date.now() - drainStart;
const cpu = processCpuMs(pids) - cpuBefore;
console.log(
  `  backlog: ${backlogExpected} deliveries refused (503) while made, then drained in ${(drainMs / 1000).toFixed(1)} s: ` +
    `${((backlogExpected / drainMs) * 1000).toFixed(1)} deliveries/s; gateway CPU ${ms(cpu / backlogExpected)} per delivery ` +
    `(includes its retry attempts and the hanging endpoint's)`,
);
console.log(
  `  signatures: every delivery verified with @kassa/webhooks; ${receiver.forged} failed verification`,
);

receiver.closeAll();
await receiver.close();
await kassa.stop();
