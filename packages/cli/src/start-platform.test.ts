import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import { afterAll, describe, expect, it } from "vitest";
import { platformServices } from "./platform-services.js";

// `kassa start` exactly as `npm start` runs it, in embedded mode (no DATABASE_URL/REDIS_URL),
// on the real ports 8080-8085.
const cli = fileURLToPath(new URL("../dist/main.js", import.meta.url));

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

describe("kassa start", () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("brings up all six services ready and SERVING, and stops them all cleanly on SIGTERM", async () => {
    const busy = (await Promise.all(platformServices.map((s) => portOpen(s.port)))).some(Boolean);
    expect(busy, "ports 8080-8085 must be free for this test (is `npm start` running?)").toBe(
      false,
    );

    dataDir = await mkdtemp(path.join(tmpdir(), "kassa-start-"));
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
    const launcher = spawn(process.execPath, [cli, "start"], {
      env: { ...env, KASSA_DATA_DIR: dataDir, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    // "close", not "exit": it comes after every byte the launcher wrote has been read.
    const exited = once(launcher, "close") as Promise<[number | null, string | null]>;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      launcher.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Kassa is running")) resolve();
      });
      void exited.then(() => reject(new Error(`launcher exited early:\n${output}`)));
    });

    for (const service of platformServices) {
      const ready = await fetch(`http://127.0.0.1:${service.port}/health/ready`);
      expect(ready.status, service.name).toBe(200);
      const health = createClient(
        Health,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }),
      );
      const answer = await health.check({ service: service.typeName });
      expect(answer.status, service.name).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
    expect(output).toMatch(/^gateway +│ /m);

    // Tokens were generated for this local platform; internal services insist on them.
    const adminToken = output.match(/admin token \(KASSA_ADMIN_TOKEN\): (\S+)/)?.[1] ?? "";
    expect(adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const saved = JSON.parse(await readFile(path.join(dataDir, "tokens.json"), "utf8"));
    expect(saved.admin).toBe(adminToken);
    const getOrder = (token?: string) =>
      fetch("http://127.0.0.1:8082/kassa.order.v1.OrderService/GetOrder", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ orderId: "ord_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" }),
      });
    expect((await getOrder()).status).toBe(401);
    expect((await getOrder(adminToken)).status).not.toBe(401);

    launcher.kill("SIGTERM");
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    for (const service of platformServices) {
      expect(await portOpen(service.port), `${service.name} still listening`).toBe(false);
      expect(output).toContain(`${service.name} stopped`);
    }
  });
});
