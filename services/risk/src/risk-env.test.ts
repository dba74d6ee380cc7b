import { RiskDecision, RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { ConfigError, createId, loadServiceConfig } from "@kassa/platform";
import { startTestService, testServiceEnv, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { riskService } from "./server.js";

const configWith = (extra: Record<string, string>) =>
  loadServiceConfig(riskService, testServiceEnv({ extra }));

/** The problems a bad environment is reported with. */
function problemsOf(extra: Record<string, string>) {
  try {
    configWith(extra);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}

describe("risk settings", () => {
  it("defaults to the seed platform's rules", () => {
    expect(configWith({})).toMatchObject({
      RISK_REVIEW_THRESHOLD: 50,
      RISK_REJECT_THRESHOLD: 80,
      RISK_AMOUNT_LIMIT_MAJOR: 10_000,
      RISK_AMOUNT_LIMITS: new Map(),
      RISK_VELOCITY_IP_LIMIT: 10,
      RISK_VELOCITY_IP_WINDOW_MS: 60_000,
      RISK_VELOCITY_EMAIL_LIMIT: 5,
      RISK_VELOCITY_EMAIL_WINDOW_MS: 600_000,
      RISK_VELOCITY_DEVICE_LIMIT: 30,
      RISK_VELOCITY_DEVICE_WINDOW_MS: 3_600_000,
      RISK_VELOCITY_MERCHANT_LIMIT: 100,
      RISK_VELOCITY_MERCHANT_WINDOW_MS: 60_000,
    });
  });

  it("reads per-currency amount limits in minor units", () => {
    expect(
      configWith({ RISK_AMOUNT_LIMITS: "USD=500000, JPY=2000000" }).RISK_AMOUNT_LIMITS,
    ).toEqual(
      new Map([
        ["USD", 500_000n],
        ["JPY", 2_000_000n],
      ]),
    );
  });

  it.each([
    ["RISK_AMOUNT_LIMITS", "USD:500000"],
    ["RISK_AMOUNT_LIMITS", "XYZ=100"],
    ["RISK_AMOUNT_LIMITS", "usd=100"],
    ["RISK_AMOUNT_LIMITS", "USD=0"],
    ["RISK_AMOUNT_LIMITS", "USD=1.5"],
    ["RISK_REJECT_THRESHOLD", "101"],
    ["RISK_REVIEW_THRESHOLD", "0"],
    ["RISK_VELOCITY_IP_LIMIT", "ten"],
    ["RISK_VELOCITY_EMAIL_WINDOW_MS", "0"],
  ])("refuses %s=%s, naming the variable", (variable, value) => {
    const problems = problemsOf({ [variable]: value });
    expect(problems.map((problem) => problem.variable)).toEqual([variable]);
    expect(problems[0]?.message).not.toContain(value);
  });
});

describe("Assess with configured rules", () => {
  const start = () =>
    startTestService(riskService, {
      label: "risk_settings",
      env: {
        RISK_REVIEW_THRESHOLD: "20",
        RISK_REJECT_THRESHOLD: "50",
        RISK_AMOUNT_LIMIT_MAJOR: "100",
        RISK_AMOUNT_LIMITS: "USD=5000",
        RISK_VELOCITY_IP_LIMIT: "2",
      },
    });
  let service: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    service = await start();
  });
  afterAll(() => service.stop());
  const assess = (currency: string, amount: bigint, ip = "") =>
    service
      .client(RiskService, testTokens.internal)
      .assess({ merchantId: createId("mer"), amount, currency, customer: { ip } });

  it("applies a currency's own limit, and the default major-unit limit to the others", async () => {
    expect((await assess("USD", 5000n)).reasons).toEqual([]);
    expect(await assess("USD", 5001n)).toMatchObject({
      decision: RiskDecision.REJECT,
      score: 50,
      reasons: ["amount_over_limit"],
    });
    expect((await assess("EUR", 10_000n)).reasons).toEqual([]);
    expect((await assess("EUR", 10_001n)).reasons).toEqual(["amount_over_limit"]);
  });

  it("maps scores to decisions by the configured thresholds and limits", async () => {
    const ip = "198.51.100.20";
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await assess("EUR", 100n, ip));
    expect(answers.map((answer) => [answer.decision, answer.reasons])).toEqual([
      [RiskDecision.APPROVE, []],
      [RiskDecision.APPROVE, []],
      [RiskDecision.REVIEW, ["velocity_ip"]],
    ]);
  });
});
