// Wrapped (deadline + breaker) client vs bare Connect client on a no-op RPC, same server,
// same transport, same concurrency. Target: the wrapper adds at most 10%.
//   npm run bench -- resilient-client-overhead   (or: node bench/resilient-client-overhead.mjs)
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createDependencyBreaker, createLogger, createResilientClient } from "@kassa/platform";
import { startTestServer } from "@kassa/platform/testing";
import { drive, ms } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 20_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const rounds = 4;

const server = await startTestServer((router) =>
  router.service(OrderService, { getOrder: async () => ({}) }),
);
const transport = createGrpcTransport({ baseUrl: server.url });
const bare = createClient(OrderService, transport);
const breaker = createDependencyBreaker("order", {
  logger: createLogger({ service: "bench", level: "silent" }),
});
// retry: false so both clients make exactly one call per request; retries only ever add work
// on failures, which this benchmark has none of.
const wrapped = createResilientClient(OrderService, transport, { breaker, retry: false });

function run(client) {
  return drive({ total: calls, concurrency }, () => client.getOrder({ orderId: "ord_bench" }));
}

await run(bare); // warm up both paths and the HTTP/2 session
await run(wrapped);
const results = { bare: [], wrapped: [] };
for (let round = 0; round < rounds; round++) {
  results.bare.push(await run(bare));
  results.wrapped.push(await run(wrapped));
}
await server.close();

const best = (list, key) => Math.max(...list.map((r) => r[key]));
const median = (list, key) => {
  const values = list.map((r) => r[key]).sort((a, b) => a - b);
  return (
    (values[Math.floor((values.length - 1) / 2)] + values[Math.ceil((values.length - 1) / 2)]) / 2
  );
};
const bareRps = median(results.bare, "rps");
const wrappedRps = median(results.wrapped, "rps");
const overhead = (bareRps / wrappedRps - 1) * 100;
console.log(
  `resilient client overhead: ${calls} no-op calls x ${rounds} rounds, concurrency ${concurrency}`,
);
console.log(
  `  bare     ${bareRps.toFixed(0)} calls/s (best ${best(results.bare, "rps").toFixed(0)}), p50 ${ms(median(results.bare, "p50"))}, p99 ${ms(median(results.bare, "p99"))}`,
);
console.log(
  `  wrapped  ${wrappedRps.toFixed(0)} calls/s (best ${best(results.wrapped, "rps").toFixed(0)}), p50 ${ms(median(results.wrapped, "p50"))}, p99 ${ms(median(results.wrapped, "p99"))}`,
);
console.log(`  overhead ${overhead.toFixed(1)}% (target <= 10%)`);
process.exit(0);
