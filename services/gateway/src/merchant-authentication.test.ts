import { Code } from "@connectrpc/connect";
import { GatewayService, PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService, MerchantStatus } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import type { RedisStore } from "@kassa/platform";
import { rejectionOf, testClient, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimitCounter } from "./merchant-authentication.js";
import {
  type GatewayPlatform,
  startGatewayPlatform,
} from "./testing/gateway-platform.test-support.js";

// The gateway's clock: the system clock, moved forward by the rate-limit test to the start of
// a minute, so its burst of requests never straddles two of the limit's (clock-aligned) minutes.
let clockShiftMs = 0;
const clock = { now: () => new Date(Date.now() + clockShiftMs) };
const minute = 60_000;

let platform: GatewayPlatform;
beforeAll(async () => {
  platform = await startGatewayPlatform(
    "gw_auth",
    { gateway: { GATEWAY_RATE_LIMIT_PER_MINUTE: "20" } },
    undefined,
    { clock },
  );
});
afterAll(() => platform.stop());

let sequence = 0;
const payment = () => {
  sequence++;
  return {
    idempotencyKey: `auth-${sequence}-${Date.now()}`,
    merchantOrderNo: `auth-order-${sequence}-${Date.now()}`,
    amount: 700n,
    currency: "GBP",
    paymentMethod: "tok_visa",
  };
};
const gatewayWith = (token?: string) =>
  testClient(GatewayService, platform.services.gateway.url, token);

describe("API key authentication", () => {
  it("answers UNAUTHENTICATED without a key, or with a key that does not exist", async () => {
    const none = await rejectionOf(gatewayWith().createPayment(payment()));
    expect([none.code, none.rawMessage]).toEqual([
      Code.Unauthenticated,
      "an API key is required: authorization: Bearer sk_test_…",
    ]);
    const wrong = await rejectionOf(
      gatewayWith("sk_test_thisKeyDoesNotExist000000000000").getPayment({ paymentId: "" }),
    );
    expect([wrong.code, wrong.rawMessage]).toEqual([Code.Unauthenticated, "API key is not valid"]);
  });

  it("stops accepting a key the moment it is revoked, although the gateway had cached it", async () => {
    const merchant = await platform.newMerchant();
    await merchant.gateway.createPayment(payment());
    await platform.admin(MerchantService, "merchant").revokeApiKey({ apiKeyId: merchant.apiKeyId });
    const error = await rejectionOf(merchant.gateway.createPayment(payment()));
    expect([error.code, error.rawMessage]).toEqual([Code.Unauthenticated, "API key is not valid"]);
  });

  it("answers PERMISSION_DENIED for a suspended merchant, and serves it again once reactivated", async () => {
    const merchant = await platform.newMerchant();
    await merchant.gateway.createPayment(payment());
    const merchants = platform.admin(MerchantService, "merchant");
    await merchants.updateMerchant({
      merchantId: merchant.merchantId,
      status: MerchantStatus.SUSPENDED,
    });
    const error = await rejectionOf(merchant.gateway.createPayment(payment()));
    expect(error.code).toBe(Code.PermissionDenied);
    await merchants.updateMerchant({
      merchantId: merchant.merchantId,
      status: MerchantStatus.ACTIVE,
    });
    const { payment: paid } = await merchant.gateway.createPayment(payment());
    expect(paid?.status).toBe(PaymentStatus.SUCCEEDED);
  });

  it("never writes an API key to the gateway's logs", async () => {
    const merchant = await platform.newMerchant();
    await merchant.gateway.createPayment(payment());
    await rejectionOf(gatewayWith(`${merchant.apiKey}x`).listPayments({}));
    expect(platform.services.gateway.logs.lines.join("\n")).not.toContain(merchant.apiKey.slice(8));
  });
});

describe("operator reads", () => {
  it("lets the admin token read any merchant's payments and refunds, but never create one", async () => {
    const merchant = await platform.newMerchant();
    const { payment: paid } = await merchant.gateway.createPayment(payment());
    const operator = gatewayWith(testTokens.admin);
    const { payment: read } = await operator.getPayment({ paymentId: paid?.id ?? "" });
    expect(read).toEqual(paid);
    const listed = await operator.listPayments({ merchantOrderNo: paid?.merchantOrderNo ?? "" });
    expect(listed.payments.map((p) => p.id)).toEqual([paid?.id]);
    const write = await rejectionOf(operator.createPayment(payment()));
    expect([write.code, write.rawMessage]).toEqual([
      Code.PermissionDenied,
      "the admin token can read payments, refunds and events and redeliver events; CreatePayment takes a merchant's API key",
    ]);
    const internal = await rejectionOf(
      gatewayWith(testTokens.internal).getPayment({ paymentId: paid?.id ?? "" }),
    );
    expect(internal.code).toBe(Code.Unauthenticated);
  });
});

describe("merchant isolation", () => {
  it("answers NOT_FOUND for another merchant's payment and never lists it", async () => {
    const a = await platform.newMerchant("Merchant A");
    const b = await platform.newMerchant("Merchant B");
    const { payment: paidByA } = await a.gateway.createPayment(payment());
    const error = await rejectionOf(b.gateway.getPayment({ paymentId: paidByA?.id ?? "" }));
    expect([error.code, error.rawMessage]).toEqual([
      Code.NotFound,
      `payment ${paidByA?.id} not found`,
    ]);
    expect((await b.gateway.listPayments({})).payments).toEqual([]);
    expect((await a.gateway.listPayments({})).payments.map((p) => p.id)).toEqual([paidByA?.id]);
  });
});

describe("rate limit", () => {
  it("answers RESOURCE_EXHAUSTED past the merchant's requests per minute, without touching other merchants", async () => {
    const busy = await platform.newMerchant();
    const calm = await platform.newMerchant();
    clockShiftMs += minute - (clock.now().getTime() % minute);
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () => busy.gateway.listPayments({})),
    );
    const limited = results.filter((r) => r.status === "rejected");
    expect(limited).toHaveLength(5);
    for (const result of limited) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: Code.ResourceExhausted,
      });
    }
    await expect(calm.gateway.listPayments({})).resolves.toBeDefined();
    // Every request counted once, refused ones too, in the merchant's field of the minute's hash.
    const redis = platform.services.gateway.context.redis as RedisStore;
    expect(await redis.countInWindow(rateLimitCounter(busy.merchantId))).toBe(25);
    expect(await redis.countInWindow(rateLimitCounter(calm.merchantId))).toBe(1);
  });
});

describe("ListPayments", () => {
  it("pages newest first and filters by status and order number", async () => {
    const merchant = await platform.newMerchant();
    const made = [];
    for (let i = 0; i < 5; i++)
      made.push((await merchant.gateway.createPayment(payment())).payment);
    const declined = (
      await merchant.gateway.createPayment({ ...payment(), paymentMethod: "tok_chargeDeclined" })
    ).payment;
    const first = await merchant.gateway.listPayments({ pageSize: 4 });
    expect(first.payments.map((p) => p.id)).toEqual([
      declined?.id,
      ...made
        .slice(2)
        .reverse()
        .map((p) => p?.id),
    ]);
    const second = await merchant.gateway.listPayments({
      pageSize: 4,
      pageToken: first.nextPageToken,
    });
    expect(second.payments.map((p) => p.id)).toEqual(
      made
        .slice(0, 2)
        .reverse()
        .map((p) => p?.id),
    );
    expect(second.nextPageToken).toBe("");
    const failed = await merchant.gateway.listPayments({ status: PaymentStatus.FAILED });
    expect(failed.payments.map((p) => p.id)).toEqual([declined?.id]);
    const byOrder = await merchant.gateway.listPayments({
      merchantOrderNo: made[0]?.merchantOrderNo ?? "",
    });
    expect(byOrder.payments.map((p) => p.id)).toEqual([made[0]?.id]);
    const mixed = await rejectionOf(
      merchant.gateway.listPayments({
        pageSize: 4,
        pageToken: first.nextPageToken,
        status: PaymentStatus.FAILED,
      }),
    );
    expect([mixed.code, mixed.rawMessage]).toEqual([
      Code.InvalidArgument,
      "page_token: is malformed or belongs to another query",
    ]);
    const negative = await rejectionOf(merchant.gateway.listPayments({ pageSize: -1 }));
    expect([negative.code, negative.rawMessage]).toEqual([
      Code.InvalidArgument,
      "page_size: must not be negative",
    ]);
  });
});
