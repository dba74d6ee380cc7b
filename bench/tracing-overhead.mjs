import { once } from "node:events";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";
import { activeTraceparent, tracingOff } from "@kassa/platform";
import { freePortRange } from "@kassa/platform/testing";
import { startKassa } from "./kassa-platform.mjs";
import { drive, ms } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 1_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

// A stand-in collector that accepts and drops every export: the cost measured is the
// services', not a collector's.
let exportedRequests = 0;
const sink = createServer((request, response) => {
  exportedRequests++;
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/x-protobuf" });
    response.end();
  });
});
sink.listen(0, "127.0.0.1");
await once(sink, "listening");
const sinkUrl = `http://127.0.0.1:${sink.address().port}`;

const modes = {
  off: {},
  sampled: { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_TRACES_SAMPLER: "always_on" },
  unsampled: {
    OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "0",
  },
};

async function startPlatform(mode, env) {
  const kassa = await startKassa({
    label: `bench_tracing_${mode}`,
    portBase: await freePortRange(6),
    env: {
      ...env,
      // 3 platforms x 6 services x 4 connections stay under Postgres' default 100.
      DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? "4",
      RISK_VELOCITY_MERCHANT_LIMIT: "1000000000",
    },
  });
  let failed = 0;
  const errors = new Map();
  const pay = () =>
    kassa.pay().catch((error) => {
      // Counted (and printed by message), not thrown: one refused payment must not end the
      // benchmark, and a mode that fails often shows it.
      errors.set(error.message, (errors.get(error.message) ?? 0) + 1);
      failed++;
    });
  return {
    errors,
    async run(total) {
      const before = failed;
      return { ...(await drive({ total, concurrency }, pay)), failed: failed - before };
    },
    stop: () => kassa.stop(),
  };
}

const platforms = {};
for (const [mode, env] of Object.entries(modes)) platforms[mode] = await startPlatform(mode, env);

const results = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
try {
  for (const platform of Object.values(platforms)) await platform.run(Math.min(calls, 300));
  // Warm-up failures (caches and JIT still cold) are not counted below.
  for (let round = 0; round < rounds; round++) {
    for (const mode of Object.keys(modes)) results[mode].push(await platforms[mode].run(calls));
  }
} finally {
  await Promise.all(Object.values(platforms).map((platform) => platform.stop()));
  sink.close();
}

const median = (list, key) => {
  const values = list.map((r) => r[key]).sort((a, b) => a - b);
  return (
    (values[Math.floor((values.length - 1) / 2)] + values[Math.ceil((values.length - 1) / 2)]) / 2
  );
};
const offRps = median(results.off, "rps");
console.log(
  `tracing overhead: CreatePayment through kassa start, ${calls} payments x ${rounds} rounds per mode, concurrency ${concurrency}`,
);
for (const mode of Object.keys(modes)) {
  const rps = median(results[mode], "rps");
  const cost = mode === "off" ? "" : `, ${((offRps / rps - 1) * 100).toFixed(1)}% slower than off`;
  const failed = results[mode].reduce((sum, result) => sum + result.failed, 0);
  console.log(
    `  ${mode.padEnd(9)} ${rps.toFixed(1)} payments/s, p50 ${ms(median(results[mode], "p50"))}, p99 ${ms(median(results[mode], "p99"))}, ${failed} failed${cost}`,
  );
}
for (const [mode, platform] of Object.entries(platforms)) {
  for (const [message, count] of platform.errors) console.log(`  ${mode}: ${count} × ${message}`);
}
console.log(`  the sink received ${exportedRequests} OTLP export requests`);

// The off path: per payment the gateway runs six saga steps through `inSpan` and writes three
// rows that ask for the active traceparent; every service passes each RPC through an identity
// interceptor (no cost to time: the interceptor is not there). Timed per payment, against the
// CPU one payment costs when tracing is off (all cores' time over the payments made).
const off = tracingOff();
const noop = () => Promise.resolve();
const perPayment = async () => {
  for (let step = 0; step < 6; step++) await off.inSpan("saga.step", {}, noop);
  for (let row = 0; row < 3; row++) activeTraceparent();
};
const loops = 200_000;
for (let i = 0; i < 20_000; i++) await perPayment();
const started = performance.now();
for (let i = 0; i < loops; i++) await perPayment();
const offPathMs = (performance.now() - started) / loops;
const paymentCpuMs = (availableParallelism() * 1000) / offRps;
console.log(
  `  off path ${(offPathMs * 1000).toFixed(2)} µs per payment, against ${paymentCpuMs.toFixed(1)} ms of CPU per payment (${availableParallelism()} cores / ${offRps.toFixed(1)} payments/s): ${((offPathMs / paymentCpuMs) * 100).toFixed(3)}% (target <= 2%)`,
);
process.exit(0);
