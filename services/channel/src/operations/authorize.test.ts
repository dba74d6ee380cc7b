import { Code } from "@connectrpc/connect";
import { AuthorizationStatus, ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizations, sandboxAuthorizations } from "../db/schema.js";
import { channelService } from "../server.js";

const start = () => startTestService(channelService, { label: "channel_authorize" });
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
  description: "order A-2001",
  ...overrides,
});
const counts = async () => ({
  authorizations: await service.context.db.$count(authorizations),
  sandbox: await service.context.db.$count(sandboxAuthorizations),
});

describe("Authorize", () => {
  it.each([
    ["tok_visa", AuthorizationStatus.AUTHORIZED, ""],
    ["tok_captureDeclined", AuthorizationStatus.AUTHORIZED, ""],
    ["tok_captureTimeout", AuthorizationStatus.AUTHORIZED, ""],
    ["tok_chargeDeclined", AuthorizationStatus.FAILED, "card_declined"],
    ["tok_insufficientFunds", AuthorizationStatus.FAILED, "insufficient_funds"],
    ["tok_somethingElse", AuthorizationStatus.FAILED, "invalid_payment_method"],
  ])("answers %s with its sandbox outcome", async (paymentMethod, status, failureCode) => {
    const sent = request({ paymentMethod });
    const { authorization } = await client().authorize(sent);
    const authorized = status === AuthorizationStatus.AUTHORIZED;
    expect(authorization).toMatchObject({
      channel: "sandbox",
      idempotencyKey: sent.idempotencyKey,
      merchantId: sent.merchantId,
      amount: 2500n,
      currency: "USD",
      paymentMethod,
      description: "order A-2001",
      status,
      amountCapturable: authorized ? 2500n : 0n,
      amountCaptured: 0n,
      failureCode,
    });
    expect(authorization?.id).toMatch(/^au_[0-9A-Z]{26}$/);
    expect(authorization?.providerReference).toBe(authorization?.id);
    expect(authorization?.expiresAt !== undefined).toBe(authorized);
  });

  it("holds the amount for the configured time: seven days by default", async () => {
    const { authorization } = await client().authorize(request());
    // The provider starts the hold when it grants it, a moment after the channel recorded the
    // request: at least seven days from then, and not a minute more.
    const week = 7 * 24 * 60 * 60 * 1000;
    const ms = (at?: { seconds: bigint; nanos: number }) =>
      Number(at?.seconds ?? 0n) * 1000 + (at?.nanos ?? 0) / 1e6;
    const held = ms(authorization?.expiresAt) - ms(authorization?.createdAt);
    expect(held).toBeGreaterThanOrEqual(week);
    expect(held).toBeLessThan(week + 60_000);
  });

  it("answers UNAVAILABLE for tok_unavailable and authorizes nothing", async () => {
    const sent = request({ paymentMethod: "tok_unavailable" });
    const before = await counts();
    const error = await rejectionOf(client().authorize(sent));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain("nothing was authorized");
    expect((await counts()).sandbox).toBe(before.sandbox);
    const missing = await rejectionOf(
      client().getAuthorization({ channel: "sandbox", idempotencyKey: sent.idempotencyKey }),
    );
    expect(missing.code).toBe(Code.NotFound);
  });

  it("returns the first outcome for a repeated idempotency key, authorizing once", async () => {
    for (const paymentMethod of ["tok_visa", "tok_chargeDeclined"]) {
      const sent = request({ paymentMethod });
      const first = await client().authorize(sent);
      const before = await counts();
      const again = await client().authorize(sent);
      expect(again.authorization).toEqual(first.authorization);
      expect(await counts()).toEqual(before);
    }
  });

  it("makes one authorization for 20 concurrent identical requests, all answered with it", async () => {
    const sent = request({ amount: 777n });
    const before = await counts();
    const answers = await Promise.all(Array.from({ length: 20 }, () => client().authorize(sent)));
    expect(new Set(answers.map((a) => a.authorization?.id)).size).toBe(1);
    expect(answers.every((a) => a.authorization?.status === AuthorizationStatus.AUTHORIZED)).toBe(
      true,
    );
    expect(await counts()).toEqual({
      authorizations: before.authorizations + 1,
      sandbox: before.sandbox + 1,
    });
  });

  it("answers ALREADY_EXISTS for the same key with a different amount, authorizing nothing", async () => {
    const sent = request();
    await client().authorize(sent);
    const before = await counts();
    const error = await rejectionOf(client().authorize({ ...sent, amount: 2501n }));
    expect(error.code).toBe(Code.AlreadyExists);
    expect(error.rawMessage).toBe(
      `idempotency_key ${sent.idempotencyKey} was already used on channel sandbox for a different authorization`,
    );
    expect(await counts()).toEqual(before);
  });

  it.each([
    ["idempotency_key", { idempotencyKey: "" }, "idempotency_key: is required"],
    ["channel", { channel: "paypal" }, "channel: is not a configured channel (see ListChannels)"],
    [
      "merchant_id",
      { merchantId: "ord_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "merchant_id: must be a mer_… id",
    ],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["currency", { currency: "ISK" }, "currency: is not supported by channel sandbox"],
    ["payment_method", { paymentMethod: "" }, "payment_method: is required"],
    [
      "description",
      { description: "d".repeat(1001) },
      "description: must be at most 1000 characters",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await counts();
      const error = await rejectionOf(client().authorize(request(bad)));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await counts()).toEqual(before);
    },
  );

  it("keeps payment methods out of error messages and logs", async () => {
    const secret = "tok_customerCard4242";
    const sent = request({ paymentMethod: secret });
    await client().authorize(sent);
    const conflict = await rejectionOf(client().authorize({ ...sent, amount: 1n }));
    expect(conflict.rawMessage).not.toContain(secret);
    expect(service.logs.lines.join("\n")).not.toContain(secret);
  });
});
