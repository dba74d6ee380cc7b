import { AuthorizationStatus, ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { CaptureMethod, PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
} from "../testing/gateway-platform.test-support.js";

// Authorizations expire at once here, so the reconciler voids each on its next round.
let platform: GatewayPlatform;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_capture_expiry", {
    gateway: { CAPTURE_EXPIRY_MS: "1" },
  });
});
afterAll(() => platform.stop());

describe("an authorization left uncaptured past CAPTURE_EXPIRY_MS", () => {
  it("is voided by the reconciler and the payment CANCELLED with reason expired", async () => {
    const merchant = await platform.newMerchant();
    const { payment } = await merchant.gateway.createPayment({
      idempotencyKey: `expiry-${Date.now()}`,
      merchantOrderNo: `expiry-order-${Date.now()}`,
      amount: 2_500n,
      currency: "EUR",
      paymentMethod: "tok_visa",
      captureMethod: CaptureMethod.MANUAL,
    });
    expect(payment?.status).toBe(PaymentStatus.REQUIRES_CAPTURE);
    const paymentId = payment?.id ?? "";

    await eventually(async () => {
      const { payment: now } = await merchant.gateway.getPayment({ paymentId });
      expect(now).toMatchObject({ status: PaymentStatus.CANCELLED, cancellationReason: "expired" });
      expect(now?.cancelledAt).toBeDefined();
    });
    const { authorization } = await platform
      .admin(ChannelService, "channel")
      .getAuthorization({ channel: "sandbox", idempotencyKey: paymentId });
    expect(authorization?.status).toBe(AuthorizationStatus.VOIDED);
    await eventually(async () => {
      const { order } = await platform
        .admin(OrderService, "order")
        .getOrder({ orderId: payment?.orderId ?? "" });
      expect(order?.status).toBe(OrderStatus.CANCELLED);
    });

    const { events } = await merchant.gateway.listPaymentEvents({ paymentId });
    expect(
      events.slice(-2).map(({ fromStatus, toStatus, reason, actor }) => ({
        fromStatus,
        toStatus,
        reason,
        actor,
      })),
    ).toEqual([
      {
        fromStatus: "PAYMENT_STATUS_REQUIRES_CAPTURE",
        toStatus: "PAYMENT_STATUS_PROCESSING",
        reason: "expired",
        actor: "reconciler",
      },
      {
        fromStatus: "PAYMENT_STATUS_PROCESSING",
        toStatus: "PAYMENT_STATUS_CANCELLED",
        reason: "authorization voided",
        actor: "reconciler",
      },
    ]);
  });
});
