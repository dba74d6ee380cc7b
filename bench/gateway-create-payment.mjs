// CreatePayment with tok_visa at increasing concurrency, against the whole platform started the
// way `npm start` starts it (kassa start: six processes), on real Postgres and Redis. For scale,
// pgbench -N (simple writes) runs on the same machine in the same run. Where the time goes is
// read from the gateway's saga step histogram.
//   npm run bench -- gateway-create-payment
// BENCH_LEVELS (default "1,8,32,64") concurrency levels; BENCH_SECONDS (default 10) per level.
import { execFileSync } from "node:child_process";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@kassa/contracts/grpc/health/v1/health_pb";
import { createTestDatabase } from "@kassa/platform/testing";
import { startKassa } from "./kassa-platform.mjs";
import { ms, summarise } from "./stats.mjs";

const levels = (process.env.BENCH_LEVELS ?? "1,8,32,64").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const calls = process.env.BENCH_CALLS ? Number(process.env.BENCH_CALLS) : undefined;
const portBase = Number(process.env.BENCH_PORT_BASE ?? 18080);
const kassa = await startKassa({ label: "bench_gateway", portBase });
const payOnce = () => kassa.pay();

async function level(concurrency) {
  const latencies = [];
  let failed = 0;
  const until = performance.now() + seconds * 1000;
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
  return { rps: latencies.length / elapsed, failed, ...summarise(latencies) };
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

await level(4); // warm-up: connections, JIT, caches
const readiness = recordReadiness();
console.log(
  `gateway CreatePayment (tok_visa), kassa start on Postgres + Redis, ${seconds} s per level`,
);
for (const concurrency of levels) {
  const result = await level(concurrency);
  console.log(
    `  concurrency ${String(concurrency).padStart(3)}: ${result.rps.toFixed(0).padStart(5)} payments/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}${result.failed ? `, ${result.failed} not SUCCEEDED` : ""}`,
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
process.exit(0);
