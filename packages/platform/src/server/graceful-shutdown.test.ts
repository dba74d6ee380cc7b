import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpcJsHealth } from "../testing/grpc-js-client.test-support.js";
import {
  createTestDatabase,
  type TestDatabase,
  testServiceEnv,
  uniqueRedisPrefix,
} from "../testing/index.js";

// A real process, a real signal: the fixture service built into dist/ by `npm run build`.
const fixtureMain = fileURLToPath(
  new URL("../../dist/test-fixtures/fixture-main.js", import.meta.url),
);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase("shutdown");
});
afterAll(() => database.drop());

type LogLine = Record<string, unknown> & { msg?: string };

/** Starts the fixture and returns a way to wait for its log lines. */
function spawnFixture(env: Record<string, string>) {
  const child = spawn(process.execPath, [fixtureMain], {
    env: {
      ...process.env,
      ...testServiceEnv({ databaseUrl: database.url, redisPrefix: uniqueRedisPrefix("shutdown") }),
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const seen: LogLine[] = [];
  const waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> =
    [];
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on("line", (text) => {
    const line = JSON.parse(text) as LogLine;
    seen.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  // Resolves once the process has exited AND every line it wrote has been read.
  const exited = Promise.all([once(child, "exit"), once(lines, "close")]).then(
    ([exit]) => exit as [number | null, string | null],
  );
  const logLine = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve) => {
      const earlier = seen.find(match);
      if (earlier) resolve(earlier);
      else waiters.push({ match, resolve });
    });
  return { child, exited, logLine, seen };
}

describe("graceful shutdown on SIGTERM", () => {
  let fixture: ReturnType<typeof spawnFixture>;
  afterAll(() => {
    fixture?.child.kill("SIGKILL");
  });

  it("reports NOT_SERVING and 503 before the listener closes, finishes the in-flight call, exits 0", async () => {
    // Long enough that a loaded machine still asks /health/ready before the listener closes (the
    // test waits it out: the in-flight call ends only after the listener has closed).
    fixture = spawnFixture({ SHUTDOWN_DELAY_MS: "10000" });
    const started = await fixture.logLine((line) => typeof line.port === "number");
    const url = `http://127.0.0.1:${started.port}`;
    const grpc = grpcJsHealth(`127.0.0.1:${started.port}`);
    const watch = grpc.watch("");
    expect(await watch.next()).toBe("SERVING");

    const inFlight = fetch(`${url}/kassa.order.v1.OrderService/GetOrder`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ orderId: "slow" }),
    });
    await fixture.logLine((line) => line.msg === "slow call started");

    fixture.child.kill("SIGTERM");
    expect(await watch.next()).toBe("NOT_SERVING");
    // The listener is still open (SHUTDOWN_DELAY_MS), and says it is not ready.
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ phase: "draining", ready: false });

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ order: { id: "slow" } });
    const [code, signal] = await fixture.exited;
    expect(fixture.seen.map((line) => line.msg)).toContain(
      "slow call finishing after the listener closed",
    );
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(fixture.seen.at(-1)?.msg).toBe("fixture stopped");
    grpc.close();
  });
});
