import { Code } from "@connectrpc/connect";
import { ChannelRefundStatus, ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargeRepository } from "../db/charge-repository.js";
import { refunds, sandboxRefunds } from "../db/schema.js";
import type { Provider, ProviderOutcome } from "../providers/provider.js";
import { channelService, createChannelService } from "../server.js";

const start = () => startTestService(channelService, { label: "channel_refund" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);
async function newCharge(paymentMethod = "tok_visa", amount = 1000n) {
  const { charge } = await client().charge({
    idempotencyKey: createId("pay"),
    channel: "sandbox",
    merchantId: createId("mer"),
    amount,
    currency: "USD",
    paymentMethod,
  });
  return charge?.id ?? "";
}
const request = (chargeId: string, overrides: Record<string, unknown> = {}) => ({
  idempotencyKey: createId("ref"),
  chargeId,
  amount: 400n,
  currency: "USD",
  reason: "customer returned one item",
  ...overrides,
});
const counts = async () => ({
  refunds: await service.context.db.$count(refunds),
  sandbox: await service.context.db.$count(sandboxRefunds),
});
const refundedOf = async (chargeId: string) =>
  (
    await client().getCharge({
      channel: "sandbox",
      idempotencyKey:
        (await chargeRepository.find(service.context.db, chargeId))?.idempotencyKey ?? "",
    })
  ).charge?.refundedAmount;

describe("Refund", () => {
  it("refunds part of a SUCCEEDED charge and adds it to the charge's refunded amount", async () => {
    const chargeId = await newCharge();
    const sent = request(chargeId);
    const { refund } = await client().refund(sent);
    expect(refund).toMatchObject({
      channel: "sandbox",
      idempotencyKey: sent.idempotencyKey,
      chargeId,
      amount: 400n,
      currency: "USD",
      reason: "customer returned one item",
      status: ChannelRefundStatus.SUCCEEDED,
      failureCode: "",
    });
    expect(refund?.id).toMatch(/^chr_[0-9A-Z]{26}$/);
    expect(refund?.providerReference).toBe(refund?.id);
    expect(await refundedOf(chargeId)).toBe(400n);
  });

  it("refunds up to the whole charge, then refuses more with FAILED_PRECONDITION, recording nothing", async () => {
    const chargeId = await newCharge();
    await client().refund(request(chargeId, { amount: 600n }));
    await client().refund(request(chargeId, { amount: 400n }));
    const before = await counts();
    const error = await rejectionOf(client().refund(request(chargeId, { amount: 1n })));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe(
      `amount 1 exceeds what is left to refund of charge ${chargeId}: 0 USD (its amount minus succeeded and pending refunds)`,
    );
    expect(await counts()).toEqual(before);
    expect(await refundedOf(chargeId)).toBe(1000n);
  });

  it("refuses to refund a charge that did not succeed with FAILED_PRECONDITION", async () => {
    const chargeId = await newCharge("tok_chargeDeclined");
    const before = await counts();
    const error = await rejectionOf(client().refund(request(chargeId)));
    expect([error.code, error.rawMessage]).toEqual([
      Code.FailedPrecondition,
      `charge ${chargeId} is FAILED; only a SUCCEEDED charge can be refunded`,
    ]);
    expect(await counts()).toEqual(before);
  });

  it("declines refunds of a tok_refundFails charge and frees their amount", async () => {
    const chargeId = await newCharge("tok_refundFails");
    for (let attempt = 0; attempt < 2; attempt++) {
      // The whole amount each time: a declined refund must not keep holding it.
      const { refund } = await client().refund(request(chargeId, { amount: 1000n }));
      expect(refund).toMatchObject({
        status: ChannelRefundStatus.FAILED,
        failureCode: "refund_declined",
      });
      expect(refund?.failureMessage).not.toBe("");
    }
    expect(await refundedOf(chargeId)).toBe(0n);
    const charge = await chargeRepository.find(service.context.db, chargeId);
    expect(charge?.refundingAmount).toBe(0n);
  });

  it("returns the first outcome for a repeated idempotency key, refunding once", async () => {
    const chargeId = await newCharge();
    const sent = request(chargeId, { amount: 1000n });
    const first = await client().refund(sent);
    const before = await counts();
    const again = await client().refund(sent);
    expect(again.refund).toEqual(first.refund);
    expect(await counts()).toEqual(before);
    expect(await refundedOf(chargeId)).toBe(1000n);
  });

  it("makes one refund for 20 concurrent identical requests", async () => {
    const chargeId = await newCharge();
    const sent = request(chargeId, { amount: 300n });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client().refund(sent)));
    expect(new Set(answers.map((a) => a.refund?.id)).size).toBe(1);
    expect(answers.every((a) => a.refund?.status === ChannelRefundStatus.SUCCEEDED)).toBe(true);
    const rows = await service.context.db
      .select()
      .from(refunds)
      .where(eq(refunds.idempotencyKey, sent.idempotencyKey));
    expect(rows).toHaveLength(1);
    expect(await refundedOf(chargeId)).toBe(300n);
  });

  it("never refunds more than the charge when 20 different refunds race", async () => {
    const chargeId = await newCharge("tok_visa", 1000n);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => client().refund(request(chargeId, { amount: 150n }))),
    );
    const succeeded = results.filter((r) => r.status === "fulfilled");
    for (const result of results) {
      if (result.status === "fulfilled") {
        expect(result.value.refund?.status).toBe(ChannelRefundStatus.SUCCEEDED);
      } else {
        expect(result.reason).toMatchObject({ code: Code.FailedPrecondition });
      }
    }
    // 6 × 150 = 900 fits in 1000; a seventh would not.
    expect(succeeded).toHaveLength(6);
    const rows = await service.context.db
      .select()
      .from(refunds)
      .where(eq(refunds.chargeId, chargeId));
    const refunded = rows
      .filter((row) => row.status === "SUCCEEDED")
      .reduce((sum, row) => sum + row.amount, 0n);
    expect(refunded).toBe(900n);
    expect(await refundedOf(chargeId)).toBe(refunded);
  });

  it.each([
    ["amount", { amount: 401n }],
    ["reason", { reason: "another reason" }],
  ])(
    "answers ALREADY_EXISTS for the same key with a different %s, refunding nothing",
    async (_field, change) => {
      const chargeId = await newCharge();
      const sent = request(chargeId);
      await client().refund(sent);
      const before = await counts();
      const error = await rejectionOf(client().refund({ ...sent, ...change }));
      expect([error.code, error.rawMessage]).toEqual([
        Code.AlreadyExists,
        `idempotency_key ${sent.idempotencyKey} was already used on channel sandbox for a different refund`,
      ]);
      expect(await counts()).toEqual(before);
    },
  );

  it("answers ALREADY_EXISTS for a key already used to refund another charge", async () => {
    const sent = request(await newCharge());
    await client().refund(sent);
    const before = await counts();
    const error = await rejectionOf(client().refund({ ...sent, chargeId: await newCharge() }));
    expect(error.code).toBe(Code.AlreadyExists);
    expect(await counts()).toEqual(before);
  });

  it("answers NOT_FOUND for an unknown charge", async () => {
    const chargeId = createId("ch");
    const error = await rejectionOf(client().refund(request(chargeId)));
    expect([error.code, error.rawMessage]).toEqual([Code.NotFound, `charge ${chargeId} not found`]);
  });

  it("rejects a currency other than the charge's with INVALID_ARGUMENT, recording nothing", async () => {
    const chargeId = await newCharge();
    const before = await counts();
    const error = await rejectionOf(client().refund(request(chargeId, { currency: "EUR" })));
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "currency: must be the charge's currency, USD",
    ]);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ["idempotency_key", { idempotencyKey: "" }, "idempotency_key: is required"],
    [
      "idempotency_key",
      { idempotencyKey: "k".repeat(256) },
      "idempotency_key: must be at most 255 characters",
    ],
    ["charge_id", { chargeId: "" }, "charge_id: is required"],
    ["charge_id", { chargeId: "pay_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" }, "charge_id: must be a ch_… id"],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["amount", { amount: -1n }, "amount: must be greater than 0"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "QQQ" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["reason", { reason: "r".repeat(501) }, "reason: must be at most 500 characters"],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, recording nothing",
    async (_field, bad, message) => {
      const chargeId = await newCharge();
      const before = await counts();
      const error = await rejectionOf(client().refund(request(chargeId, bad)));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await counts()).toEqual(before);
      expect(await refundedOf(chargeId)).toBe(0n);
    },
  );

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const chargeId = await newCharge();
    const before = await counts();
    const error = await rejectionOf(service.client(ChannelService).refund(request(chargeId)));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(await counts()).toEqual(before);
  });
});

describe("Refund through a provider that fails", () => {
  // A stand-in for a real provider's network: charges succeed, refunds answer as scripted,
  // and `acted` is what the provider reports having done.
  const script: (ProviderOutcome | "lost")[] = [];
  const acted = new Map<string, ProviderOutcome>();
  const flaky: Provider = {
    name: "flaky",
    displayName: "Flaky (test)",
    currencies: ["USD"],
    testMode: true,
    charge: async (request) => ({ status: "SUCCEEDED", reference: `flaky_${request.chargeId}` }),
    getCharge: async () => undefined,
    async refund() {
      const next = script.shift() ?? { status: "UNAVAILABLE", message: "script ran out" };
      if (next === "lost") throw new Error("connection reset after the request was sent");
      return next;
    },
    getRefund: async (refundId) => acted.get(refundId),
    // Authorizations are not what these tests are about.
    authorize: notUsedHere,
    getAuthorization: notUsedHere,
    capture: notUsedHere,
    getCapture: notUsedHere,
    void: notUsedHere,
    getVoid: notUsedHere,
  };
  const startFlaky = () =>
    startTestService(createChannelService({ providers: () => [flaky] }), {
      label: "channel_refund_flaky",
    });
  let flakyService: Awaited<ReturnType<typeof startFlaky>>;
  beforeAll(async () => {
    flakyService = await startFlaky();
  });
  afterAll(() => flakyService.stop());

  const flakyClient = () => flakyService.client(ChannelService, testTokens.internal);
  async function flakyCharge() {
    const { charge } = await flakyClient().charge({
      idempotencyKey: createId("pay"),
      channel: "flaky",
      merchantId: createId("mer"),
      amount: 1000n,
      currency: "USD",
      paymentMethod: "card_on_file",
    });
    return charge?.id ?? "";
  }
  const amountsOf = async (chargeId: string) => {
    const charge = await chargeRepository.find(flakyService.context.db, chargeId);
    return { refunded: charge?.refundedAmount, refunding: charge?.refundingAmount };
  };

  it("frees the amount when the provider was not reached, and refunds on a repeat", async () => {
    const chargeId = await flakyCharge();
    const sent = request(chargeId, { amount: 1000n });
    script.push({ status: "UNAVAILABLE", message: "flaky is down" });
    const error = await rejectionOf(flakyClient().refund(sent));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain("nothing was refunded");
    expect(await amountsOf(chargeId)).toEqual({ refunded: 0n, refunding: 0n });
    const missing = await rejectionOf(
      flakyClient().getChannelRefund({ channel: "flaky", idempotencyKey: sent.idempotencyKey }),
    );
    expect(missing.code).toBe(Code.NotFound);

    script.push({ status: "SUCCEEDED", reference: "flaky_r1" });
    const { refund } = await flakyClient().refund(sent);
    expect(refund).toMatchObject({
      status: ChannelRefundStatus.SUCCEEDED,
      providerReference: "flaky_r1",
    });
    expect(await amountsOf(chargeId)).toEqual({ refunded: 1000n, refunding: 0n });
  });

  it("keeps a refund whose answer was lost PENDING and counted, until the provider reports it", async () => {
    const chargeId = await flakyCharge();
    const sent = request(chargeId, { amount: 700n });
    script.push("lost");
    expect((await rejectionOf(flakyClient().refund(sent))).code).toBe(Code.Internal);
    const lookup = { channel: "flaky", idempotencyKey: sent.idempotencyKey };
    const pending = await flakyClient().getChannelRefund(lookup);
    expect(pending.refund?.status).toBe(ChannelRefundStatus.PENDING);
    // Still counted: only 300 is left to refund.
    const over = await rejectionOf(flakyClient().refund(request(chargeId, { amount: 301n })));
    expect(over.code).toBe(Code.FailedPrecondition);

    acted.set(pending.refund?.id ?? "", { status: "SUCCEEDED", reference: "flaky_r2" });
    const { refund } = await flakyClient().getChannelRefund(lookup);
    expect(refund).toMatchObject({
      status: ChannelRefundStatus.SUCCEEDED,
      providerReference: "flaky_r2",
    });
    expect(await amountsOf(chargeId)).toEqual({ refunded: 700n, refunding: 0n });
  });
});

async function notUsedHere(): Promise<never> {
  throw new Error("not used by these tests");
}
