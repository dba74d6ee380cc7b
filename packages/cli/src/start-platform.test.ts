import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import { eventually } from "@kassa/platform/testing";
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

/** `kassa start` on a data directory, with what it printed so far. */
function startLauncher(dataDir: string) {
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
  const launcher = spawn(process.execPath, [cli, "start"], {
    env: { ...env, KASSA_DATA_DIR: dataDir, FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // "close", not "exit": it comes after every byte the launcher wrote has been read.
  const exited = once(launcher, "close") as Promise<[number | null, string | null]>;
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    launcher.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      // The banner ends with the hint line, after the demo merchant and its curl line.
      if (output.includes("then: npx kassa status")) resolve();
    });
    void exited.then(() => reject(new Error(`launcher exited early:\n${output}`)));
  });
  return { launcher, exited, ready, output: () => output };
}

const postJson = async (url: string, body: unknown, token: string) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, Record<string, unknown>>;
};

describe("kassa start", () => {
  let dataDir = "";
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("brings up six SERVING services with a demo merchant whose printed curl takes a payment; SIGTERM stops all with exit 0", async () => {
    const busy = (await Promise.all(platformServices.map((s) => portOpen(s.port)))).some(Boolean);
    expect(busy, "ports 8080-8085 must be free for this test (is `npm start` running?)").toBe(
      false,
    );

    dataDir = await mkdtemp(path.join(tmpdir(), "kassa-start-"));
    const run = startLauncher(dataDir);
    await run.ready;
    const output = run.output();

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
    expect(JSON.parse(await readFile(path.join(dataDir, "tokens.json"), "utf8")).admin).toBe(
      adminToken,
    );
    const unauthorised = await fetch("http://127.0.0.1:8082/kassa.order.v1.OrderService/GetOrder", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(unauthorised.status).toBe(401);

    // The printed curl line, pasted into a shell as a new user would.
    const curl = output.slice(output.indexOf("curl -s http://127.0.0.1:8080/kassa.gateway.v1"));
    const pasted = curl.slice(0, curl.indexOf("\n\n"));
    const { stdout } = await promisify(execFile)("bash", ["-c", pasted]);
    const payment = (JSON.parse(stdout) as { payment: Record<string, string> }).payment;
    expect(payment).toMatchObject({
      status: "PAYMENT_STATUS_SUCCEEDED",
      amount: "1999",
      currency: "USD",
    });

    // A refund with the demo key, then a settlement with the admin token, all over HTTP/JSON.
    const apiKey = output.match(/API key: (sk_test_\S+)/)?.[1] ?? "";
    const refund = await postJson(
      "http://127.0.0.1:8080/kassa.gateway.v1.GatewayService/CreateRefund",
      { idempotencyKey: "start-test-refund", paymentId: payment?.id, amount: "499" },
      apiKey,
    );
    expect(refund.refund).toMatchObject({ status: "REFUND_STATUS_SUCCEEDED" });
    const accounting = "http://127.0.0.1:8085/kassa.accounting.v1.AccountingService";
    const merchantId = payment?.merchantId;
    await eventually(async () => {
      const balance = await postJson(
        `${accounting}/GetBalance`,
        { merchantId, currency: "USD" },
        adminToken,
      );
      expect(balance.balance?.balance).toBe("1500");
    });
    const created = await postJson(
      `${accounting}/CreateSettlement`,
      { merchantId, currency: "USD" },
      adminToken,
    );
    const processed = await postJson(
      `${accounting}/ProcessSettlement`,
      { settlementId: created.settlement?.id },
      adminToken,
    );
    expect(processed.settlement).toMatchObject({
      status: "SETTLEMENT_STATUS_COMPLETED",
      grossAmount: "1500",
    });

    run.launcher.kill("SIGTERM");
    const [code, signal] = await run.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    for (const service of platformServices) {
      expect(await portOpen(service.port), `${service.name} still listening`).toBe(false);
      expect(run.output()).toContain(`${service.name} stopped`);
    }
  });

  it("restarts on the same data without creating a second demo merchant", async () => {
    const firstDemo = JSON.parse(await readFile(path.join(dataDir, "demo-merchant.json"), "utf8"));
    const run = startLauncher(dataDir);
    await run.ready;
    expect(run.output()).toContain(
      `demo merchant ${firstDemo.merchantId}, API key: ${firstDemo.apiKey}`,
    );
    const adminToken = JSON.parse(await readFile(path.join(dataDir, "tokens.json"), "utf8")).admin;
    const listed = await postJson(
      "http://127.0.0.1:8081/kassa.merchant.v1.MerchantService/ListMerchants",
      {},
      adminToken,
    );
    expect((listed.merchants as unknown as Array<{ name: string }>).map((m) => m.name)).toEqual([
      "Demo Shop",
    ]);
    run.launcher.kill("SIGTERM");
    const [code] = await run.exited;
    expect(code).toBe(0);
  });
});
