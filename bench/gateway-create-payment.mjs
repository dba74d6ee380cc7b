// CreatePayment with tok_visa at increasing concurrency, against the whole platform started the
// way `npm start` starts it (kassa start: six processes), on real Postgres and Redis, beside what
// the same machine does in the same run: a bare Connect gRPC no-op RPC at the same concurrency
// levels (see connect-noop.mjs) and pgbench -N. Per successful payment it counts Postgres commits,
// Redis commands and the CPU of every Kassa process, and prints the issue-13 targets as ratios
// ("a payment at the cost of its parts"). Where the time goes is read from the gateway's saga
// step histogram.
//   npm run bench -- gateway-create-payment
// BENCH_LEVELS (default "1,8") concurrency levels; BENCH_SECONDS (default 10) per level;
// BENCH_SETTLE_SECONDS (default 11) waited after each level for Postgres' statistics.
import { execFileSync } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@kassa/contracts/grpc/health/v1/health_pb";
import { createTestDatabase } from "@kassa/platform/testing";
import { startConnectNoop } from "./connect-noop.mjs";
import { startKassa } from "./kassa-platform.mjs";
import { createPlatformMeter, startPrivateRedis } from "./platform-meter.mjs";
import { ms, summarise } from "./stats.mjs";

const levels = (process.env.BENCH_LEVELS ?? "1,8").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const settleSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 11);
const calls = process.env.BENCH_CALLS ? Number(process.env.BENCH_CALLS) : undefined;
const portBase = Number(process.env.BENCH_PORT_BASE ?? 18080);

console.log(
  `gateway CreatePayment (tok_visa), kassa start on Postgres + Redis, ${seconds} s per level, levels ${levels.join(", ")}`,
);
console.log(
  "  machine speed varies about 3x between boxes: compare ratios within one run, not absolute numbers across runs",
);

// The floor, with nothing of Kassa running: the no-op at every level (and at 1, for p50), once
// before the platform starts and once after it stops. The ratios use the mean of the two; how far
// they differ shows how much the (shared) machine moved meanwhile.
const noopLevels = [...new Set([1, ...levels])];
async function measureNoop(when) {
  const noop = await startConnectNoop();
  const at = new Map();
  for (const concurrency of noopLevels)
    at.set(concurrency, await noop.measure(concurrency, seconds));
  await noop.stop();
  console.log(
    `  bare Connect gRPC no-op ${when} (connect-node defaults, server and client each a process):`,
  );
  for (const [concurrency, result] of at) {
    console.log(
      `    concurrency ${String(concurrency).padStart(3)}: ${result.rps.toFixed(0).padStart(6)} RPC/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}, CPU per round trip (client + server) ${ms(result.cpuMsPerCall)}`,
    );
  }
  return at;
}
const noopBefore = await measureNoop("before the platform");

const redis = await startPrivateRedis();
const kassa = await startKassa({ label: "bench_gateway", portBase, env: { REDIS_URL: redis.url } });
const meter = await createPlatformMeter({
  kassaPid: kassa.pid,
  databaseName: kassa.databaseName,
  redis,
  gatewayUrl: `http://127.0.0.1:${portBase}`,
});
const payOnce = () => kassa.pay();

async function level(concurrency, forSeconds = seconds) {
  const latencies = [];
  let failed = 0;
  const until = performance.now() + forSeconds * 1000;
  let budget = calls ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until && budget-- > 0) {
        const t0 = performance.now();
        const { payment } = await payOnce();
        latencies.push(performance.now() - t0);
        if (payment.status !== 3) failed++; // PAYMENT_STATUS_SUCCEEDED
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    rps: latencies.length / elapsed,
    failed,
    succeeded: latencies.length - failed,
    ...summarise(latencies),
  };
}

/**
 * Polls every service's /health/ready and grpc.health.v1 Check("") until stopped: readiness
 * must not be a casualty of load (Kubernetes would pull a busy pod out of its Service).
 */
function recordReadiness() {
  const record = [];
  let stopped = false;
  const pollers = [0, 1, 2, 3, 4, 5].map(async (offset) => {
    const base = `http://127.0.0.1:${portBase + offset}`;
    const health = createClient(Health, createGrpcTransport({ baseUrl: base }));
    const entry = { port: portBase + offset, polls: 0, http503: 0, notServing: 0 };
    record.push(entry);
    while (!stopped) {
      const [ready, check] = await Promise.all([
        fetch(`${base}/health/ready`).then(
          (r) => r.status,
          () => 0,
        ),
        health.check({ service: "" }).then(
          (r) => r.status,
          () => 0,
        ),
      ]);
      entry.polls++;
      if (ready !== 200) entry.http503++;
      if (check !== 1) entry.notServing++; // SERVING
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(pollers);
      return record;
    },
  };
}

await level(4, Math.min(seconds, 5)); // warm-up: connections, JIT, caches
const readiness = recordReadiness();
const connections = await meter.snapshot();
const byService = Object.entries(
  Object.groupBy(connections.backends, (backend) => backend.application_name || "(unnamed)"),
).map(([name, list]) => `${name} ${list.length}`);
console.log(
  `  platform: one Postgres database, ${kassa.databaseName} (connections now: ${byService.join(", ")}); a redis-server of its own on port ${redis.port}`,
);

// What the platform spends doing nothing (outbox and reconciler polls, the readiness polls
// above, health checks): measured idle, and taken off each level for the net figures.
await meter.settle(settleSeconds);
const idleFrom = await meter.snapshot();
await delay(Math.max(seconds, 5) * 1000);
const idleTo = await meter.snapshot();
const idle = meter.difference(idleFrom, idleTo);
const perSecond = (key) => idle[key] / idle.seconds;
console.log(
  `  idle background over ${idle.seconds.toFixed(1)} s: ${perSecond("commits").toFixed(1)} commits/s, ${perSecond("redisCommands").toFixed(1)} Redis commands/s, Kassa CPU ${perSecond("kassaCpuMs").toFixed(0)} ms/s`,
);

const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
const results = new Map();
for (const concurrency of levels) {
  const before = await meter.snapshot();
  const result = await level(concurrency);
  await meter.drainOutbox();
  const drained = await meter.snapshot(); // CPU and Redis: the level and its outbox deliveries
  await delay(settleSeconds * 1000);
  const settled = await meter.snapshot(); // Postgres commits, counted by now
  const spent = meter.difference(before, drained);
  const committed = meter.difference(before, settled);
  // Gross: all the platform did from the level's start until its effects were done (and, for
  // commits, counted). Net: less the idle background for as long.
  const per = (key, window = spent) => ({
    gross: window[key] / result.succeeded,
    net: (window[key] - perSecond(key) * window.seconds) / result.succeeded,
  });
  const cost = {
    commits: per("commits", committed),
    redisCommands: per("redisCommands"),
    kassaCpuMs: per("kassaCpuMs"),
    serversCpuMs: per("serversCpuMs"),
  };
  results.set(concurrency, { ...result, concurrency, cost });
  const topRedis = Object.entries(spent.redisByCommand)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, n]) => `${name} ${fixed(n / result.succeeded, 2)}`);
  console.log(
    `  concurrency ${String(concurrency).padStart(3)}: ${result.rps.toFixed(0).padStart(5)} payments/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}${result.failed ? `, ${result.failed} not SUCCEEDED` : ""}`,
  );
  console.log(
    `    per successful payment (net of the idle background; gross in brackets), ${result.succeeded} payments, ${spent.outboxDeliveries} outbox deliveries:`,
  );
  console.log(
    `      Postgres commits ${fixed(cost.commits.net, 2)} (${fixed(cost.commits.gross, 2)}); Redis commands ${fixed(cost.redisCommands.net, 2)} (${fixed(cost.redisCommands.gross, 2)}; gross by command: ${topRedis.join(", ")})`,
  );
  console.log(
    `      CPU of the Kassa processes (supervisor + six services) ${ms(cost.kassaCpuMs.net)} (${ms(cost.kassaCpuMs.gross)})`,
  );
  console.log(
    `      CPU of the Postgres backends and the Redis server serving it (not Kassa's; reference) ${ms(cost.serversCpuMs.net)} (${ms(cost.serversCpuMs.gross)})`,
  );
}

const record = await readiness.stop();
const polls = record.reduce((sum, entry) => sum + entry.polls, 0);
const lapses = record.filter((entry) => entry.http503 > 0 || entry.notServing > 0);
console.log(
  `  readiness during the levels: ${polls} polls of /health/ready and gRPC Check("") over six services, ${
    lapses.length === 0
      ? "every one 200 and SERVING"
      : lapses
          .map((e) => `port ${e.port}: ${e.http503} not 200, ${e.notServing} not SERVING`)
          .join("; ")
  }`,
);

const metrics = await (await fetch(`http://127.0.0.1:${portBase}/metrics`)).text();
const step = (name, kind) =>
  Number(
    metrics.match(
      new RegExp(
        `kassa_saga_step_seconds_${kind}\\{service="gateway",step="${name}"\\} ([0-9.e+-]+)`,
      ),
    )?.[1] ?? 0,
  );
// The histogram's p99, as the upper bound of the bucket it falls in: what a deadline derived
// from observed latency (p99 × k) would start from.
const stepP99 = (name, count) => {
  const bucket = metrics
    .split("\n")
    .filter((line) => line.startsWith("kassa_saga_step_seconds_bucket{"))
    .filter((line) => line.includes(`step="${name}"`))
    .map((line) => [line.match(/le="([^"]+)"/)?.[1], Number(line.split(" ").at(-1))])
    .find(([, below]) => below >= count * 0.99);
  return bucket?.[0] === "+Inf" ? "> 5 s" : `≤ ${ms(Number(bucket?.[0]) * 1000)}`;
};
console.log("  where the time goes (per saga step call, all levels: mean, p99 bucket):");
for (const name of ["persist", "risk", "order", "charge", "finish"]) {
  const count = step(name, "count");
  if (count > 0) {
    console.log(
      `    ${name.padEnd(8)} ${ms((step(name, "sum") / count) * 1000)}, p99 ${stepP99(name, count)}`,
    );
  }
}

await kassa.stop();
await meter.close();
await redis.stop();

const noopAfter = await measureNoop("after the platform");
const noopAt = new Map(
  noopLevels.map((concurrency) => {
    const [a, b] = [noopBefore.get(concurrency), noopAfter.get(concurrency)];
    const mean = (key) => (a[key] + b[key]) / 2;
    const apart = (key) => Math.abs(a[key] - b[key]) / mean(key);
    return [
      concurrency,
      {
        rps: mean("rps"),
        p50: mean("p50"),
        cpuMsPerCall: mean("cpuMsPerCall"),
        drift: Math.max(apart("rps"), apart("p50"), apart("cpuMsPerCall")),
      },
    ];
  }),
);
console.log(
  `  no-op before and after differ by up to ${fixed(Math.max(...[...noopAt.values()].map((n) => n.drift)) * 100, 0)}% (RPC/s, p50 or CPU): the machine's drift during the run; the ratios below use their mean`,
);
console.log("  per level against the no-op at the same concurrency:");
for (const [concurrency, result] of results) {
  const floor = noopAt.get(concurrency);
  console.log(
    `    concurrency ${String(concurrency).padStart(3)}: CPU per payment = ${fixed(result.cost.kassaCpuMs.net / floor.cpuMsPerCall)} no-op round trips (${ms(floor.cpuMsPerCall)} each); throughput ${fixed((result.rps / floor.rps) * 100)}% of its ${floor.rps.toFixed(0)} RPC/s; p50 ${fixed(result.p50 / floor.p50)}x its ${ms(floor.p50)}`,
  );
}

// pgbench -N on a scratch database: the machine's ceiling for simple write transactions.
const scratch = await createTestDatabase("bench_pgbench");
const connection = new URL(scratch.url);
const pgArgs = [
  "-h",
  connection.hostname,
  "-p",
  connection.port || "5432",
  "-U",
  connection.username || "postgres",
];
execFileSync("pgbench", [...pgArgs, "-i", "-q", scratch.name], { stdio: "ignore" });
const pgbench = execFileSync(
  "pgbench",
  [...pgArgs, "-N", "-c", "16", "-j", "2", "-T", String(Math.min(seconds, 10)), scratch.name],
  {
    encoding: "utf8",
  },
);
const tps = pgbench.match(/tps = ([0-9.]+)/)?.[1];
console.log(`  pgbench -N -c 16 on the same machine: ${Number(tps).toFixed(0)} tps (reference)`);
await scratch.drop();

// Issue 13's targets, each a ratio of figures measured above. Per-payment costs take the worst
// level; throughput the best, against the no-op at that same concurrency.
const worst = (pick) => Math.max(...[...results.values()].map(pick));
const [bestLevel, best] = [...results].reduce((a, b) => (b[1].rps > a[1].rps ? b : a));
const atOne = results.get(1);
const targets = [
  [
    "CPU per payment / no-op CPU per round trip (worst level)",
    worst((r) => r.cost.kassaCpuMs.net / noopAt.get(r.concurrency).cpuMsPerCall),
    "<=",
    12,
  ],
  [
    `best payments/s / no-op RPC/s (concurrency ${bestLevel})`,
    best.rps / noopAt.get(bestLevel).rps,
    ">=",
    0.08,
  ],
  ["Postgres commits per payment (worst level)", worst((r) => r.cost.commits.net), "<=", 8],
  ["Redis commands per payment (worst level)", worst((r) => r.cost.redisCommands.net), "<=", 4],
  [
    `p50 / no-op p50 at concurrency 1${atOne ? "" : " (level 1 not run)"}`,
    atOne ? atOne.p50 / noopAt.get(1).p50 : Number.NaN,
    "<=",
    15,
  ],
];
console.log("  targets (ratios within this run):");
console.log(`    ${"figure".padEnd(58)} ${"measured".padStart(9)}  target   met`);
for (const [figure, measured, sense, target] of targets) {
  const met = Number.isNaN(measured)
    ? "n/a"
    : (sense === "<=" ? measured <= target : measured >= target)
      ? "yes"
      : "no";
  console.log(
    `    ${figure.padEnd(58)} ${fixed(measured, measured < 1 ? 3 : 2).padStart(9)}  ${sense} ${String(target).padEnd(5)} ${met}`,
  );
}
process.exit(0);
