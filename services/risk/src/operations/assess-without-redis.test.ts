import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { RiskDecision, RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId } from "@kassa/platform";
import { eventually, freePort, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decisionRepository } from "../db/decision-repository.js";
import { riskService } from "../server.js";

/** A redis-server of this test's own, so stopping it disturbs no other test. */
async function startPrivateRedis(port: number): Promise<ChildProcess> {
  const redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    redis.once("error", reject);
    redis.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    redis.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
  });
  redis.removeAllListeners("exit");
  return redis;
}

const start = (redisUrl: string) =>
  startTestService(riskService, { label: "risk_no_redis", env: { REDIS_URL: redisUrl } });
let redis: ChildProcess;
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  const port = await freePort();
  redis = await startPrivateRedis(port);
  service = await start(`redis://127.0.0.1:${port}`);
});
afterAll(async () => {
  await service.stop();
  if (redis.exitCode === null && redis.signalCode === null) {
    redis.kill("SIGKILL");
    await once(redis, "exit");
  }
});

const client = () => service.client(RiskService, testTokens.internal);
const request = (overrides: { amount?: bigint } = {}) => ({
  merchantId: createId("mer"),
  amount: 2500n,
  currency: "EUR",
  customer: { email: "buyer@example.com", ip: "192.0.2.123", deviceId: createId("dev") },
  ...overrides,
});

async function health() {
  const response = await fetch(`${service.url}/health`);
  const body = (await response.json()) as {
    status: string;
    checks: Array<{ name: string; status: string }>;
  };
  return {
    httpStatus: response.status,
    status: body.status,
    redis: body.checks.find((check) => check.name === "redis")?.status,
  };
}

describe("Assess and Redis", () => {
  it("counts velocity and reports healthy while the private Redis runs", async () => {
    const answer = await client().assess(request());
    expect(answer).toMatchObject({ decision: RiskDecision.APPROVE, score: 0, reasons: [] });
    expect(await health()).toEqual({ httpStatus: 200, status: "healthy", redis: "healthy" });
  });

  describe("once Redis is stopped", () => {
    beforeAll(async () => {
      redis.kill("SIGKILL");
      await once(redis, "exit");
    });

    it("approves with velocity_unavailable, stores the decision, and reports degraded health", async () => {
      const answer = await client().assess(request());
      expect(answer).toMatchObject({
        decision: RiskDecision.APPROVE,
        score: 0,
        reasons: ["velocity_unavailable"],
      });
      const stored = await decisionRepository.find(service.context.db, answer.decisionId);
      expect(stored?.reasons).toEqual(["velocity_unavailable"]);
      // Redis is a non-critical check: its failure degrades health (once it has failed three
      // evaluations running), and /health still answers 200.
      await eventually(async () =>
        expect(await health()).toEqual({ httpStatus: 200, status: "degraded", redis: "degraded" }),
      );
    });

    it("still applies the rules that need no Redis", async () => {
      const answer = await client().assess(request({ amount: 1_000_001n }));
      expect(answer).toMatchObject({
        decision: RiskDecision.REVIEW,
        score: 50,
        reasons: ["amount_over_limit", "velocity_unavailable"],
      });
    });

    it("logs the outage once, without customer data", async () => {
      const outage = service.logs
        .messages()
        .filter((message) => message === "velocity counters unavailable: velocity rules skipped");
      expect(outage).toHaveLength(1);
      const logs = service.logs.lines.join("\n");
      expect(logs).not.toContain("buyer@example.com");
      expect(logs).not.toContain("192.0.2.123");
    });
  });
});
