import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  type AssessRequestSchema,
  BlocklistEntryType,
  RiskDecision,
  RiskService,
} from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decisionRepository } from "../db/decision-repository.js";
import { decisions } from "../db/schema.js";
import { riskRulesFrom } from "../risk-rules.js";
import { riskService } from "../server.js";
import { velocityCounters } from "../velocity-counter.js";

// The service's clock, moved by tests that need an entry to expire.
let now = new Date("2030-01-01T00:00:00Z");
const clock = { now: () => now };

const start = () => startTestService(riskService, { label: "risk_assess", clock });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(RiskService, testTokens.internal);
const admin = () => service.client(RiskService, testTokens.admin);

type AssessInit = MessageInitShape<typeof AssessRequestSchema>;
type CustomerInit = { email?: string; ip?: string; deviceId?: string };

let sequence = 0;
/**
 * A request from a customer nobody has seen yet (fresh email, IP, device and merchant), so
 * no velocity rule trips by accident; `customer` overrides merge into the fresh customer.
 */
function freshRequest(
  overrides: Omit<AssessInit, "customer" | "$typeName"> & { customer?: CustomerInit } = {},
) {
  sequence += 1;
  const { customer, ...rest } = overrides;
  return {
    merchantId: createId("mer"),
    amount: 1999n,
    currency: "USD",
    paymentMethod: "tok_visa",
    ...rest,
    customer: {
      email: `buyer${sequence}@example.com`,
      ip: `198.18.${sequence >> 8}.${sequence & 255}`,
      deviceId: createId("dev"),
      ...customer,
    },
  };
}

const counterOf = () =>
  velocityCounters(
    service.context.config.KASSA_INTERNAL_TOKEN,
    riskRulesFrom(service.context.config).velocity,
  );

describe("Assess", () => {
  it("approves a clean payment with score 0, no reasons and a rsk_ decision id", async () => {
    const answer = await client().assess(freshRequest({ paymentId: createId("pay") }));
    expect(answer).toMatchObject({ decision: RiskDecision.APPROVE, score: 0, reasons: [] });
    expect(answer.decisionId).toMatch(/^rsk_[0-9A-Z]{26}$/);
    expect(answer.createdAt?.seconds).toBe(BigInt(now.getTime() / 1000));
  });

  it("stores every decision with the inputs it was made from", async () => {
    const paymentId = createId("pay");
    const request = freshRequest({
      paymentId,
      amount: 2_000_000n,
      customer: { email: "Mixed.Case@Example.COM", ip: "2001:DB8:0:0:0:0:0:7", deviceId: "dev-1" },
    });
    const before = await service.context.db.$count(decisions);
    const answer = await client().assess(request);
    expect(await service.context.db.$count(decisions)).toBe(before + 1);
    const row = await decisionRepository.find(service.context.db, answer.decisionId);
    expect(row).toEqual({
      id: answer.decisionId,
      merchantId: request.merchantId,
      paymentId,
      amount: 2_000_000n,
      currency: "USD",
      customerEmail: "mixed.case@example.com",
      customerIp: "2001:db8::7",
      customerDeviceId: "dev-1",
      paymentMethod: "tok_visa",
      score: 50,
      decision: "REVIEW",
      reasons: ["amount_over_limit"],
      createdAt: now,
    });
  });

  it("stores a decision without customer data, and repeated calls make new decisions", async () => {
    const request = { merchantId: createId("mer"), amount: 100n, currency: "JPY" };
    const first = await client().assess(request);
    const second = await client().assess(request);
    expect(second.decisionId).not.toBe(first.decisionId);
    expect(await decisionRepository.find(service.context.db, first.decisionId)).toMatchObject({
      paymentId: null,
      customerEmail: null,
      customerIp: null,
      customerDeviceId: null,
      paymentMethod: null,
      decision: "APPROVE",
      reasons: [],
    });
  });

  describe("blocklist", () => {
    it.each([
      [
        "blocklist_email",
        BlocklistEntryType.EMAIL,
        "Stolen@Example.com",
        {
          customer: { email: "STOLEN@example.COM" },
        },
      ],
      [
        "blocklist_ip",
        BlocklistEntryType.IP,
        "2001:db8::66",
        {
          customer: { ip: "2001:DB8:0:0:0:0:0:66" },
        },
      ],
      [
        "blocklist_device_id",
        BlocklistEntryType.DEVICE_ID,
        "device-blocked-1",
        {
          customer: { deviceId: "device-blocked-1" },
        },
      ],
      [
        "blocklist_payment_method",
        BlocklistEntryType.PAYMENT_METHOD,
        "tok_stolenCard",
        {
          paymentMethod: "tok_stolenCard",
        },
      ],
    ] as const)(
      "rejects a payment matching a blocked value with score 100 and %s",
      async (reason, type, value, matching) => {
        await admin().addBlocklistEntry({ type, value });
        const answer = await client().assess(freshRequest(matching));
        expect(answer).toMatchObject({
          decision: RiskDecision.REJECT,
          score: 100,
          reasons: [reason],
        });
      },
    );

    it("names every blocklist hit in evaluation order, before the other rules", async () => {
      const email = `everything-${createId("x")}@example.com`;
      const deviceId = createId("dev");
      const paymentMethod = createId("tok");
      await admin().addBlocklistEntry({
        type: BlocklistEntryType.PAYMENT_METHOD,
        value: paymentMethod,
      });
      await admin().addBlocklistEntry({ type: BlocklistEntryType.DEVICE_ID, value: deviceId });
      await admin().addBlocklistEntry({ type: BlocklistEntryType.EMAIL, value: email });
      const answer = await client().assess(
        freshRequest({
          amount: 5_000_000n,
          customer: { email, ip: "192.0.2.200", deviceId },
          paymentMethod,
        }),
      );
      expect(answer).toMatchObject({
        decision: RiskDecision.REJECT,
        score: 100,
        reasons: [
          "blocklist_email",
          "blocklist_device_id",
          "blocklist_payment_method",
          "amount_over_limit",
        ],
      });
    });

    it("stops matching an entry once it has expired", async () => {
      const value = createId("dev");
      await admin().addBlocklistEntry({
        type: BlocklistEntryType.DEVICE_ID,
        value,
        expiresAt: { seconds: BigInt(now.getTime() / 1000 + 3600), nanos: 0 },
      });
      const request = () => freshRequest({ customer: { deviceId: value } });
      expect((await client().assess(request())).reasons).toEqual(["blocklist_device_id"]);
      now = new Date(now.getTime() + 3600_000);
      const answer = await client().assess(request());
      expect(answer).toMatchObject({ decision: RiskDecision.APPROVE, score: 0, reasons: [] });
    });

    it("stops matching an entry once it is removed", async () => {
      const value = createId("tok");
      const { entry } = await admin().addBlocklistEntry({
        type: BlocklistEntryType.PAYMENT_METHOD,
        value,
      });
      expect((await client().assess(freshRequest({ paymentMethod: value }))).decision).toBe(
        RiskDecision.REJECT,
      );
      await admin().removeBlocklistEntry({ entryId: entry?.id ?? "" });
      const answer = await client().assess(freshRequest({ paymentMethod: value }));
      expect(answer).toMatchObject({ decision: RiskDecision.APPROVE, reasons: [] });
    });
  });

  describe("amount limit", () => {
    it.each([
      ["USD", 1_000_000n, 1_000_001n],
      ["JPY", 10_000n, 10_001n],
      ["KWD", 10_000_000n, 10_000_001n],
    ])(
      "sends %s above 10,000 major units to REVIEW with amount_over_limit (+50)",
      async (currency, limit, over) => {
        const atLimit = await client().assess(freshRequest({ currency, amount: limit }));
        expect(atLimit).toMatchObject({ decision: RiskDecision.APPROVE, score: 0, reasons: [] });
        const above = await client().assess(freshRequest({ currency, amount: over }));
        expect(above).toMatchObject({
          decision: RiskDecision.REVIEW,
          score: 50,
          reasons: ["amount_over_limit"],
        });
      },
    );
  });

  describe("velocity", () => {
    /** Makes `times` calls at once, and resolves with their answers. */
    const assessTimes = (times: number, request: () => Parameters<typeof freshRequest>[0]) =>
      Promise.all(Array.from({ length: times }, () => client().assess(freshRequest(request()))));

    it("adds velocity_ip (+40) from the 11th call of one IP within a minute", async () => {
      const ip = "192.0.2.11";
      const merchantId = createId("mer");
      const first = await assessTimes(10, () => ({ merchantId, customer: { ip } }));
      expect(first.flatMap((answer) => answer.reasons)).toEqual([]);
      const eleventh = await client().assess(freshRequest({ merchantId, customer: { ip } }));
      expect(eleventh).toMatchObject({
        decision: RiskDecision.APPROVE,
        score: 40,
        reasons: ["velocity_ip"],
      });
    });

    it("adds velocity_email (+40) from the 6th call of one email, whatever its case", async () => {
      const email = `velocity-${createId("e")}@example.com`;
      const first = await assessTimes(5, () => ({ customer: { email } }));
      expect(first.flatMap((answer) => answer.reasons)).toEqual([]);
      const sixth = await client().assess(
        freshRequest({ customer: { email: email.toUpperCase() } }),
      );
      expect(sixth).toMatchObject({ score: 40, reasons: ["velocity_email"] });
    });

    it("adds velocity_device_id (+30) from the 31st call of one device", async () => {
      const deviceId = createId("dev");
      const first = await assessTimes(30, () => ({ customer: { deviceId } }));
      expect(first.flatMap((answer) => answer.reasons)).toEqual([]);
      const next = await client().assess(freshRequest({ customer: { deviceId } }));
      expect(next).toMatchObject({ score: 30, reasons: ["velocity_device_id"] });
    });

    it("adds velocity_merchant (+20) from the 101st call of one merchant within a minute", async () => {
      const merchantId = createId("mer");
      const first = await assessTimes(100, () => ({ merchantId }));
      expect(first.flatMap((answer) => answer.reasons)).toEqual([]);
      const next = await client().assess(freshRequest({ merchantId }));
      expect(next).toMatchObject({
        decision: RiskDecision.APPROVE,
        score: 20,
        reasons: ["velocity_merchant"],
      });
    });

    it("counts 50 concurrent calls from one IP exactly, in Redis", async () => {
      const ip = "192.0.2.50";
      const answers = await assessTimes(50, () => ({ customer: { ip } }));
      expect(await service.context.redis.countInWindow(counterOf()("ip", ip))).toBe(50);
      // Exactly the calls after the 10th saw the limit exceeded.
      expect(answers.filter((answer) => answer.reasons.includes("velocity_ip"))).toHaveLength(40);
    });

    it("keys counters by a digest, never the email or IP itself", async () => {
      const counter = counterOf()("email", "someone@example.com");
      expect(counter.group).toBe("risk:velocity:email");
      expect(counter.member).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(counter)).not.toContain("someone");
    });
  });

  describe("thresholds", () => {
    it("rejects at exactly the reject threshold: IP and email velocity together score 80", async () => {
      const ip = "192.0.2.80";
      const email = `together-${createId("e")}@example.com`;
      const answers = [];
      for (let i = 0; i < 11; i++) {
        answers.push(await client().assess(freshRequest({ customer: { ip, email } })));
      }
      expect(answers.map((answer) => [answer.decision, answer.score])).toEqual([
        ...Array.from({ length: 5 }, () => [RiskDecision.APPROVE, 0]),
        ...Array.from({ length: 5 }, () => [RiskDecision.APPROVE, 40]),
        [RiskDecision.REJECT, 80],
      ]);
      expect(answers[10]?.reasons).toEqual(["velocity_ip", "velocity_email"]);
    });

    it("reviews at exactly the review threshold: device and merchant velocity score 50", async () => {
      const merchantId = createId("mer");
      const deviceId = createId("dev");
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          client().assess(freshRequest({ merchantId, customer: i < 30 ? { deviceId } : {} })),
        ),
      );
      const answer = await client().assess(freshRequest({ merchantId, customer: { deviceId } }));
      expect(answer).toMatchObject({
        decision: RiskDecision.REVIEW,
        score: 50,
        reasons: ["velocity_device_id", "velocity_merchant"],
      });
    });

    it("caps the score at 100", async () => {
      const ip = "192.0.2.100";
      const email = `capped-${createId("e")}@example.com`;
      for (let i = 0; i < 10; i++) {
        await client().assess(freshRequest({ customer: { ip, email } }));
      }
      const answer = await client().assess(
        freshRequest({ amount: 1_000_001n, customer: { ip, email } }),
      );
      expect(answer).toMatchObject({
        decision: RiskDecision.REJECT,
        score: 100,
        reasons: ["amount_over_limit", "velocity_ip", "velocity_email"],
      });
    });
  });

  it.each([
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    [
      "merchant_id",
      { merchantId: "ord_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "merchant_id: must be a mer_… id",
    ],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["amount", { amount: -100n }, "amount: must be greater than 0"],
    ["amount", { amount: 10n ** 15n + 1n }, "amount: must be at most 1000000000000000"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "usd" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["currency", { currency: "XXX" }, "currency: must be an ISO 4217 currency code such as USD"],
    [
      "customer.email",
      { customer: { email: "not-an-email" } },
      "customer.email: must be an email address",
    ],
    [
      "customer.email",
      { customer: { email: `${"a".repeat(243)}@example.com` } },
      "customer.email: must be at most 254 characters",
    ],
    [
      "customer.ip",
      { customer: { ip: "256.1.1.1" } },
      "customer.ip: must be an IPv4 or IPv6 address",
    ],
    [
      "customer.ip",
      { customer: { ip: "fe80::1%eth0" } },
      "customer.ip: must be an IPv4 or IPv6 address",
    ],
    [
      "customer.device_id",
      { customer: { deviceId: "d".repeat(129) } },
      "customer.device_id: must be at most 128 characters",
    ],
    [
      "payment_method",
      { paymentMethod: "t".repeat(256) },
      "payment_method: must be at most 255 characters",
    ],
    ["payment_id", { paymentId: "pay_nope" }, "payment_id: must be a pay_… id"],
    [
      "payment_id",
      { paymentId: "ord_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "payment_id: must be a pay_… id",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, counting and storing nothing",
    async (_field, bad, message) => {
      const request = freshRequest(bad);
      const before = await service.context.db.$count(decisions);
      const error = await rejectionOf(client().assess(request));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await service.context.db.$count(decisions)).toBe(before);
      if (request.merchantId !== "") {
        expect(
          await service.context.redis.countInWindow(counterOf()("merchant", request.merchantId)),
        ).toBe(0);
      }
    },
  );

  it("answers UNAUTHENTICATED without the internal token, storing nothing", async () => {
    const before = await service.context.db.$count(decisions);
    const missing = await rejectionOf(service.client(RiskService).assess(freshRequest()));
    const wrong = await rejectionOf(
      service.client(RiskService, "wrong-token").assess(freshRequest()),
    );
    expect([missing.code, wrong.code]).toEqual([Code.Unauthenticated, Code.Unauthenticated]);
    expect(await service.context.db.$count(decisions)).toBe(before);
  });

  it("accepts the admin token too", async () => {
    expect((await admin().assess(freshRequest())).decision).toBe(RiskDecision.APPROVE);
  });

  it("never writes the customer's email or IP to the logs", async () => {
    await client().assess(
      freshRequest({ customer: { email: "private.person@example.org", ip: "192.0.2.222" } }),
    );
    const logs = service.logs.lines.join("\n");
    expect(logs).toContain("RiskService/Assess");
    expect(logs).not.toContain("private.person");
    expect(logs).not.toContain("192.0.2.222");
  });

  it("answers over Connect JSON, as curl would call it", async () => {
    const response = await fetch(`${service.url}/kassa.risk.v1.RiskService/Assess`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${testTokens.internal}`,
      },
      body: JSON.stringify({ merchantId: createId("mer"), amount: "1050", currency: "EUR" }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ decision: "RISK_DECISION_APPROVE" });
    expect(body.decisionId).toMatch(/^rsk_/);
  });
});
