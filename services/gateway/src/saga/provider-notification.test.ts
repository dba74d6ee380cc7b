import { ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

// An asynchronous charge: the channel answers PENDING, the payment PROCESSING; the provider
// decides later and notifies the channel, which tells the gateway. The reconciler's age is
// far beyond the test, so only the notification path can finish these payments.

const hour = String(60 * 60 * 1000);
let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_notify", {
    gateway: { RECONCILE_AFTER_MS: hour },
    // The sandbox decides only when the test says so (below), never by itself during a test.
    channel: { SANDBOX_NOTIFICATION_DELAY_MS: hour },
  });
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

let sequence = 0;
const payment = (paymentMethod: string) => {
  sequence++;
  return {
    idempotencyKey: `notify-${sequence}-${Date.now()}`,
    merchantOrderNo: `notify-order-${sequence}-${Date.now()}`,
    amount: 3100n,
    currency: "USD",
    paymentMethod,
  };
};

/**
 * The sandbox provider decides the charge of `paymentId` now: the notification it owes falls
 * due, and its notifier sends it (behind the channel's back, as a provider decides).
 */
async function providerDecidesNow(paymentId: string) {
  const { charge } = await platform
    .admin(ChannelService, "channel")
    .getCharge({ channel: "sandbox", idempotencyKey: paymentId });
  const db = platform.services.channel.context.db as {
    execute(query: ReturnType<typeof sql>): Promise<unknown>;
  };
  await db.execute(
    sql`update channel.sandbox_notifications set next_attempt_at = now() where subject_id = ${charge?.id ?? ""}`,
  );
}

const statusOf = async (paymentId: string) =>
  (await merchant.gateway.getPayment({ paymentId })).payment;

describe("CreatePayment with an asynchronous charge (sandbox tok_pendingThen…)", () => {
  it("answers PROCESSING, then becomes SUCCEEDED by the provider's signed notification", async () => {
    const { payment: created } = await merchant.gateway.createPayment(
      payment("tok_pendingThenSucceeds"),
    );
    expect(created?.status).toBe(PaymentStatus.PROCESSING);

    await providerDecidesNow(created?.id ?? "");
    await eventually(async () => {
      const now = await statusOf(created?.id ?? "");
      expect(now?.status).toBe(PaymentStatus.SUCCEEDED);
      expect(now?.channelPaymentId).toMatch(/^ch_/);
    });
  });

  it("answers PROCESSING, then becomes FAILED card_declined when the notification says declined", async () => {
    const { payment: created } = await merchant.gateway.createPayment(
      payment("tok_pendingThenDeclined"),
    );
    expect(created?.status).toBe(PaymentStatus.PROCESSING);

    await providerDecidesNow(created?.id ?? "");
    await eventually(async () => {
      const now = await statusOf(created?.id ?? "");
      expect(now?.status).toBe(PaymentStatus.FAILED);
      expect(now?.failureCode).toBe("card_declined");
    });
  });

  it("stays PROCESSING while the provider has not decided", async () => {
    const { payment: created } = await merchant.gateway.createPayment(
      payment("tok_pendingThenSucceeds"),
    );
    // Another payment finishing shows the hints flow; this one must not move with it.
    const { payment: other } = await merchant.gateway.createPayment(
      payment("tok_pendingThenSucceeds"),
    );
    await providerDecidesNow(other?.id ?? "");
    await eventually(async () =>
      expect((await statusOf(other?.id ?? ""))?.status).toBe(PaymentStatus.SUCCEEDED),
    );
    expect((await statusOf(created?.id ?? ""))?.status).toBe(PaymentStatus.PROCESSING);
  });
});
