// The floor a Kassa RPC stands on: a bare Connect gRPC no-op (grpc.health.v1 Check, answered
// at once) served by @connectrpc/connect-node with default settings (connectNodeAdapter on an
// h2c http2.createServer) and called through createGrpcTransport. Server and client each run
// in a child process of their own, so their CPU is read from /proc the way the platform's is.
//   import { startConnectNoop } from "./connect-noop.mjs"   (the benchmarks use it)
//   node bench/connect-noop.mjs serve | drive <url> <concurrency> <seconds>   (its children)
import { fork } from "node:child_process";
import { once } from "node:events";
import http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@kassa/contracts/grpc/health/v1/health_pb";
import { processCpuMs } from "./process-tree.mjs";
import { summarise } from "./stats.mjs";

const self = fileURLToPath(import.meta.url);

/**
 * Starts the no-op server in a child process. `measure(concurrency, seconds)` runs a client
 * child against it (warmed up first, then `concurrency` callers for `seconds`) and resolves with
 * calls per second, latency percentiles, and the CPU per round trip of client and server
 * together.
 */
export async function startConnectNoop() {
  const server = fork(self, ["serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [{ url }] = await once(server, "message");
  return {
    async measure(concurrency, seconds) {
      const client = fork(self, ["drive", url, String(concurrency), String(seconds)], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      await once(client, "message"); // warmed up
      const pids = [server.pid, client.pid];
      const cpuBefore = processCpuMs(pids);
      client.send("go");
      const [result] = await once(client, "message");
      const cpuMs = processCpuMs(pids) - cpuBefore;
      client.send("exit");
      await once(client, "exit");
      return { ...result, cpuMsPerCall: cpuMs / result.count };
    },
    async stop() {
      server.kill("SIGTERM");
      await once(server, "exit");
    },
  };
}

const noopRoutes = (router) => router.service(Health, { check: () => ({ status: 1 }) }); // SERVING

if (process.argv[2] === "serve") {
  const server = http2.createServer(connectNodeAdapter({ routes: noopRoutes }));
  server.listen(0, "127.0.0.1", () => {
    process.send({ url: `http://127.0.0.1:${server.address().port}` });
  });
  process.on("SIGTERM", () => process.exit(0));
}

if (process.argv[2] === "drive") {
  const [url, concurrency, seconds] = process.argv.slice(3).map((v, i) => (i ? Number(v) : v));
  const health = createClient(Health, createGrpcTransport({ baseUrl: url }));
  const run = async (forMs) => {
    const latencies = [];
    const until = performance.now() + forMs;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          await health.check({ service: "" });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    return { rps: latencies.length / ((performance.now() - started) / 1000), latencies };
  };
  await run(Math.min(1000, seconds * 1000)); // warm-up: the HTTP/2 session, JIT
  process.send("warm");
  await once(process, "message");
  const { rps, latencies } = await run(seconds * 1000);
  process.send({ rps, ...summarise(latencies) });
  await once(process, "message");
  process.exit(0);
}
