import { Code } from "@connectrpc/connect";
import { ChannelService, ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { charges, sandboxCharges } from "../db/schema.js";
import { channelService, createChannelService } from "../server.js";

const start = () => startTestService(channelService, { label: "channel_charge" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);
const request = (overrides: Record<string, unknown> = {}) => ({
  idempotencyKey: createId("pay"),
  channel: "sandbox",
  merchantId: createId("mer"),
  amount: 2500n,
  currency: "USD",
  paymentMethod: "tok_visa",
  description: "order A-1001",
  ...overrides,
});
const counts = async () => ({
  charges: await service.context.db.$count(charges),
  sandbox: await service.context.db.$count(sandboxCharges),
});
const chargeRows = (idempotencyKey: string) =>
  service.context.db.select().from(charges).where(eq(charges.idempotencyKey, idempotencyKey));

describe("Charge", () => {
  it.each([
    ["tok_visa", ChargeStatus.SUCCEEDED, ""],
    ["tok_mastercard", ChargeStatus.SUCCEEDED, ""],
    ["tok_refundFails", ChargeStatus.SUCCEEDED, ""],
    ["tok_chargeDeclined", ChargeStatus.FAILED, "card_declined"],
    ["tok_insufficientFunds", ChargeStatus.FAILED, "insufficient_funds"],
    ["tok_somethingElse", ChargeStatus.FAILED, "invalid_payment_method"],
  ])("answers %s with its sandbox outcome", async (paymentMethod, status, failureCode) => {
    const sent = request({ paymentMethod });
    const { charge } = await client().charge(sent);
    expect(charge).toMatchObject({
      channel: "sandbox",
      idempotencyKey: sent.idempotencyKey,
      merchantId: sent.merchantId,
      amount: 2500n,
      currency: "USD",
      paymentMethod,
      description: "order A-1001",
      status,
      refundedAmount: 0n,
      failureCode,
    });
    expect(charge?.id).toMatch(/^ch_[0-9A-Z]{26}$/);
    expect(charge?.providerReference).toBe(charge?.id);
    expect(charge?.failureMessage === "").toBe(failureCode === "");
    expect(charge?.createdAt).toBeDefined();
  });

  it("charges zero- and three-decimal currencies in their minor units", async () => {
    for (const [currency, amount] of [
      ["JPY", 1500n],
      ["KWD", 12_345n],
    ] as const) {
      const { charge } = await client().charge(request({ currency, amount }));
      expect(charge).toMatchObject({ currency, amount, status: ChargeStatus.SUCCEEDED });
    }
  });

  it("answers UNAVAILABLE for tok_unavailable and charges nothing", async () => {
    const sent = request({ paymentMethod: "tok_unavailable" });
    const before = await counts();
    const error = await rejectionOf(client().charge(sent));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain("nothing was charged");
    expect((await counts()).sandbox).toBe(before.sandbox);
    const missing = await rejectionOf(
      client().getCharge({ channel: "sandbox", idempotencyKey: sent.idempotencyKey }),
    );
    expect(missing.code).toBe(Code.NotFound);
  });

  it("answers UNAVAILABLE again when the same request is repeated and the provider is still down", async () => {
    const sent = request({ paymentMethod: "tok_unavailable" });
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await rejectionOf(client().charge(sent))).code).toBe(Code.Unavailable);
    }
    const rows = await chargeRows(sent.idempotencyKey);
    expect(rows.map((row) => [row.status, row.failureCode])).toEqual([
      ["FAILED", "provider_unavailable"],
    ]);
  });

  it("returns the first outcome for a repeated idempotency key, charging once", async () => {
    for (const paymentMethod of ["tok_visa", "tok_chargeDeclined"]) {
      const sent = request({ paymentMethod });
      const first = await client().charge(sent);
      const before = await counts();
      const again = await client().charge(sent);
      expect(again.charge).toEqual(first.charge);
      expect(await counts()).toEqual(before);
    }
  });

  it("makes one charge for 20 concurrent identical requests, all answered with it", async () => {
    const sent = request({ amount: 777n });
    const before = await counts();
    const answers = await Promise.all(Array.from({ length: 20 }, () => client().charge(sent)));
    expect(new Set(answers.map((a) => a.charge?.id)).size).toBe(1);
    expect(answers.every((a) => a.charge?.status === ChargeStatus.SUCCEEDED)).toBe(true);
    expect(await counts()).toEqual({
      charges: before.charges + 1,
      sandbox: before.sandbox + 1,
    });
  });

  it.each([
    ["amount", { amount: 2501n }],
    ["currency", { currency: "EUR" }],
    ["merchant_id", { merchantId: createId("mer") }],
    ["payment_method", { paymentMethod: "tok_mastercard" }],
    ["description", { description: "another order" }],
  ])(
    "answers ALREADY_EXISTS for the same key with a different %s, charging nothing",
    async (_field, change) => {
      const sent = request();
      await client().charge(sent);
      const before = await counts();
      const error = await rejectionOf(client().charge({ ...sent, ...change }));
      expect(error.code).toBe(Code.AlreadyExists);
      expect(error.rawMessage).toBe(
        `idempotency_key ${sent.idempotencyKey} was already used on channel sandbox for a different charge`,
      );
      expect(await counts()).toEqual(before);
    },
  );

  it("holds tok_timeout past the caller's deadline, and GetCharge then shows it SUCCEEDED", async () => {
    const sent = request({ paymentMethod: "tok_timeout" });
    const error = await rejectionOf(client().charge(sent, { timeoutMs: 500 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    const { charge } = await client().getCharge({
      channel: "sandbox",
      idempotencyKey: sent.idempotencyKey,
    });
    expect(charge).toMatchObject({ status: ChargeStatus.SUCCEEDED, amount: 2500n });
    // A repeat after the deadline gets that outcome at once, without charging again.
    const before = await counts();
    expect((await client().charge(sent)).charge?.id).toBe(charge?.id);
    expect(await counts()).toEqual(before);
  });

  it("keeps payment methods out of error messages and logs", async () => {
    const secret = "tok_customerCard4242";
    const sent = request({ paymentMethod: secret });
    await client().charge(sent);
    const conflict = await rejectionOf(client().charge({ ...sent, amount: 1n }));
    expect(conflict.rawMessage).not.toContain(secret);
    const { charge } = await client().charge(sent);
    expect(charge?.failureMessage).not.toContain(secret);
    expect(service.logs.lines.join("\n")).not.toContain(secret);
  });

  it.each([
    ["idempotency_key", { idempotencyKey: "" }, "idempotency_key: is required"],
    [
      "idempotency_key",
      { idempotencyKey: "k".repeat(256) },
      "idempotency_key: must be at most 255 characters",
    ],
    [
      "idempotency_key",
      { idempotencyKey: " pay_1" },
      "idempotency_key: must not start or end with whitespace",
    ],
    ["channel", { channel: "" }, "channel: is required"],
    ["channel", { channel: "paypal" }, "channel: is not a configured channel (see ListChannels)"],
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
    ["currency", { currency: "ISK" }, "currency: is not supported by channel sandbox"],
    ["payment_method", { paymentMethod: "" }, "payment_method: is required"],
    [
      "payment_method",
      { paymentMethod: "t".repeat(256) },
      "payment_method: must be at most 255 characters",
    ],
    [
      "description",
      { description: "d".repeat(1001) },
      "description: must be at most 1000 characters",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await counts();
      const error = await rejectionOf(client().charge(request(bad)));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await counts()).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED without the internal token, or with a wrong one", async () => {
    const before = await counts();
    for (const token of [undefined, "wrong-token"]) {
      const error = await rejectionOf(service.client(ChannelService, token).charge(request()));
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect(await counts()).toEqual(before);
  });
});

describe("Charge with the sandbox's chaos knobs", () => {
  it("answers UNAVAILABLE and charges nothing when SANDBOX_FAILURE_RATE is 1", async () => {
    const chaos = await startTestService(channelService, {
      label: "channel_chaos_all",
      env: { SANDBOX_FAILURE_RATE: "1" },
    });
    try {
      const sent = request();
      const error = await rejectionOf(
        chaos.client(ChannelService, testTokens.internal).charge(sent),
      );
      expect(error.code).toBe(Code.Unavailable);
      expect(await chaos.context.db.$count(sandboxCharges)).toBe(0);
      const missing = await rejectionOf(
        chaos
          .client(ChannelService, testTokens.internal)
          .getCharge({ channel: "sandbox", idempotencyKey: sent.idempotencyKey }),
      );
      expect(missing.code).toBe(Code.NotFound);
    } finally {
      await chaos.stop();
    }
  });

  it("charges on a repeat of a request that met a simulated outage", async () => {
    // SANDBOX_FAILURE_RATE 0.5 with draws 0.2 (below: outage) then 0.8 (above: charged).
    const draws = [0.2, 0.8];
    const chaos = await startTestService(
      createChannelService({ random: () => draws.shift() ?? 0.99 }),
      { label: "channel_chaos_half", env: { SANDBOX_FAILURE_RATE: "0.5" } },
    );
    try {
      const chaosClient = chaos.client(ChannelService, testTokens.internal);
      const sent = request();
      expect((await rejectionOf(chaosClient.charge(sent))).code).toBe(Code.Unavailable);
      const { charge } = await chaosClient.charge(sent);
      expect(charge?.status).toBe(ChargeStatus.SUCCEEDED);
      expect(await chaos.context.db.$count(charges)).toBe(1);
      expect(await chaos.context.db.$count(sandboxCharges)).toBe(1);
    } finally {
      await chaos.stop();
    }
  });
});
