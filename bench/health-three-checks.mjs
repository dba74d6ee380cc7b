// GET /health on a real service with three 100 ms checks (cache off), end to end over HTTP.
// Checks run concurrently, so the target is <= 1.2x the slowest check (120 ms).
//   node bench/health-three-checks.mjs
import { orderService } from "@kassa/order";
import { startService } from "@kassa/platform";
import { createTestDatabase, testServiceEnv } from "@kassa/platform/testing";
import { ms, summarise } from "./stats.mjs";

const requests = Number(process.env.BENCH_REQUESTS ?? 30);
const slowCheck = (name) => ({
  name,
  check: () =>
    new Promise((resolve) =>
      setTimeout(() => resolve({ status: "healthy", message: "slow" }), 100),
    ),
});
const database = await createTestDatabase("health_bench");
const service = await startService(
  // Only the three slow checks, so the figure is about the aggregator, not Postgres.
  { ...orderService, checks: () => [slowCheck("a"), slowCheck("b"), slowCheck("c")] },
  {
    env: testServiceEnv({
      databaseUrl: database.url,
      extra: { HEALTH_POLL_INTERVAL_MS: "0" },
    }),
  },
);
await fetch(`${service.url}/health`); // warm up
const latencies = [];
for (let i = 0; i < requests; i++) {
  const t0 = performance.now();
  const response = await fetch(`${service.url}/health`);
  await response.text();
  latencies.push(performance.now() - t0);
}
await service.stop();
await database.drop();
const s = summarise(latencies);
console.log(`/health with three 100 ms checks: ${requests} requests, cache off`);
console.log(
  `  p50 ${ms(s.p50)} (${(s.p50 / 100).toFixed(2)}x the slowest check), p99 ${ms(s.p99)} (target <= 1.2x)`,
);
process.exit(0);
