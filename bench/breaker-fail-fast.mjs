// How fast an open breaker refuses a call (no network). Target: p99 <= 2 ms.
//   node bench/breaker-fail-fast.mjs
import { Code, ConnectError } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createDependencyBreaker, createLogger, createResilientClient } from "@kassa/platform";
import { startTestServer } from "@kassa/platform/testing";
import { ms, summarise } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 50_000);
let upstreamCalls = 0;
const server = await startTestServer((router) =>
  router.service(OrderService, {
    getOrder: async () => {
      upstreamCalls++;
      throw new ConnectError("down", Code.Unavailable);
    },
  }),
);
const breaker = createDependencyBreaker("order", {
  logger: createLogger({ service: "bench", level: "silent" }),
});
const client = createResilientClient(OrderService, createGrpcTransport({ baseUrl: server.url }), {
  breaker,
  retry: false,
});

while (breaker.state !== "open") await client.getOrder({}).catch(() => {});
const tripCalls = upstreamCalls;

const latencies = new Array(calls);
for (let i = 0; i < calls; i++) {
  const t0 = performance.now();
  await client.getOrder({}).catch(() => {});
  latencies[i] = performance.now() - t0;
}
await server.close();
const s = summarise(latencies);
console.log(
  `breaker open fail-fast: ${calls} calls, ${upstreamCalls - tripCalls} reached the network`,
);
console.log(`  p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, mean ${ms(s.mean)} (target p99 <= 2 ms)`);
process.exit(0);
