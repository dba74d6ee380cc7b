import { freePort } from "@kassa/platform/testing";
import type { SupervisedService } from "../service-supervisor.js";

// A stand-in for a Kassa service, small enough to start in milliseconds: it serves
// `/health/ready` on FAKE_PORT and behaves as FAKE_MODE says. The supervisor's tests run it
// instead of the real services, whose embedded databases take seconds to start.
const fakeServiceScript = `
import { existsSync } from "node:fs";
import http from "node:http";
const { FAKE_NAME, FAKE_PORT, FAKE_MODE, FAKE_READY_FILE } = process.env;
if (FAKE_MODE === "crash-at-start") {
  console.error(FAKE_NAME + ": failed to start: invalid configuration");
  process.exit(1);
}
const server = http.createServer((request, response) => {
  const ready = !FAKE_READY_FILE || existsSync(FAKE_READY_FILE);
  if (!ready) console.log(FAKE_NAME + " answered not ready");
  response.writeHead(request.url === "/health/ready" && ready ? 200 : 503).end();
});
server.listen(Number(FAKE_PORT), "127.0.0.1", () => console.log(FAKE_NAME + " listening"));
process.on("SIGTERM", () => {
  if (FAKE_MODE === "ignore-sigterm") return console.log(FAKE_NAME + " ignores SIGTERM");
  console.log(FAKE_NAME + " stopped");
  process.exit(0);
});
// As runService does: the supervisor going away ends the service.
if (process.send) process.once("disconnect", () => process.exit(0));
`;

/** How a fake service behaves. */
export interface FakeServiceOptions {
  readonly dependencies?: readonly string[];
  /** `serve` (default); `crash-at-start`: exit 1 at once; `ignore-sigterm`: serve, never drain. */
  readonly mode?: "serve" | "crash-at-start" | "ignore-sigterm";
  /** Ready only once this file exists (default: ready as soon as it listens). */
  readonly readyFile?: string;
}

/** A fake service on a free loopback port, as the supervisor takes it. */
export async function fakeService(
  name: string,
  options: FakeServiceOptions = {},
): Promise<SupervisedService> {
  const port = await freePort();
  return {
    name,
    dependencies: options.dependencies ?? [],
    command: process.execPath,
    args: ["--input-type=module", "--eval", fakeServiceScript],
    env: {
      PATH: process.env.PATH,
      FAKE_NAME: name,
      FAKE_PORT: String(port),
      FAKE_MODE: options.mode ?? "serve",
      ...(options.readyFile && { FAKE_READY_FILE: options.readyFile }),
    },
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
  };
}
