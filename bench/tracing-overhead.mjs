// What tracing costs a payment. Three platforms run side by side (`kassa start`, six processes
// each, one Postgres database each, Redis), driven in turn with the same CreatePayment load:
//   off      — no OTEL_EXPORTER_OTLP_ENDPOINT (the default of `npm start`);
//   sampled  — tracing on, every trace kept and exported (OTLP/protobuf, to a local sink);
//   unsampled — tracing on, no trace kept (parentbased_traceidratio at 0): the cost of the
//               machinery alone.
// Rounds alternate so drift on the machine hits all three alike; medians are compared.
// Then the off path itself: what a payment's code still runs with tracing off (identity
// interceptors, pass-through `inSpan`, `activeTraceparent` on each row written), timed in a loop
// and set against what one payment costs. Target: tracing off costs at most 2%.
//   npm run bench -- tracing-overhead   (or: node bench/tracing-overhead.mjs after a build)
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { activeTraceparent, tracingOff } from "@kassa/platform";
import {
  createTestDatabase,
  freePortRange,
  testClient,
  testRedisUrl,
  uniqueRedisPrefix,
} from "@kassa/platform/testing";
import { drive, ms } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 1_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const root = fileURLToPath(new URL("..", import.meta.url));

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
  const database = await createTestDatabase(`bench_tracing_${mode}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), "kassa-bench-"));
  const portBase = await freePortRange(6);
  const platform = spawn(process.execPath, [path.join(root, "apps/cli/dist/main.js"), "start"], {
    env: {
      ...process.env,
      ...env,
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_KEY_PREFIX: uniqueRedisPrefix(`bench-${mode}`),
      KASSA_DATA_DIR: dataDir,
      KASSA_PORT_BASE: String(portBase),
      LOG_LEVEL: "warn",
      // 3 platforms x 6 services x 4 connections stay under Postgres' default 100.
      DATABASE_POOL_SIZE: "4",
      GATEWAY_RATE_LIMIT_PER_MINUTE: "1000000000",
      RISK_VELOCITY_MERCHANT_LIMIT: "1000000000",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  await new Promise((resolve, reject) => {
    platform.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Kassa is running")) resolve();
    });
    platform.once("exit", () => reject(new Error(`platform exited:\n${output}`)));
  });
  if (process.env.BENCH_DEBUG) platform.stdout.on("data", (c) => process.stderr.write(c));
  else platform.stdout.resume();
  const admin = JSON.parse(readFileSync(path.join(dataDir, "tokens.json"), "utf8")).admin;
  const merchants = testClient(MerchantService, `http://127.0.0.1:${portBase + 1}`, admin);
  const { merchant } = await merchants.createMerchant({ name: `Bench ${mode}` });
  const { secret } = await merchants.createApiKey({ merchantId: merchant.id, name: "bench" });
  const gateway = testClient(GatewayService, `http://127.0.0.1:${portBase}`, secret);
  let sequence = 0;
  let failed = 0;
  const errors = new Map();
  const pay = async () => {
    sequence++;
    await gateway
      .createPayment({
        idempotencyKey: `bench-${mode}-${sequence}`,
        merchantOrderNo: `bench-${mode}-order-${sequence}`,
        amount: 1999n,
        currency: "USD",
        paymentMethod: "tok_visa",
        customer: { email: `customer${sequence}@example.com` },
      })
      .catch((error) => {
        errors.set(error.message, (errors.get(error.message) ?? 0) + 1);
        // Counted (and printed by message), not thrown: one refused payment must not end the
        // benchmark, and a mode that fails often shows it.
        failed++;
      });
  };
  return {
    async run(total) {
      const before = failed;
      return { ...(await drive({ total, concurrency }, pay)), failed: failed - before };
    },
    errors,
    async stop() {
      platform.kill("SIGTERM");
      await once(platform, "exit");
      await database.drop();
    },
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
