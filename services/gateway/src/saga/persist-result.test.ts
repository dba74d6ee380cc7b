import { ChannelService, ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { PaymentStatus, RefundStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { Database } from "@kassa/platform";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type * as schema from "../db/schema.js";
import { eventually, usePlatformWithMerchant } from "../testing/gateway-platform.test-support.js";

// One policy when the write of a saga's result fails after the channel answered: the payment
// or refund stays as last recorded, the caller is answered with that (never INTERNAL, which
// would say nothing happened), and the reconciler writes the result the channel remembers.

const given = usePlatformWithMerchant("gw_persist_result");
afterEach(() => allowFinishing());

const db = () => given.platform.services.gateway.context.db as Database<typeof schema>;

/** Makes every write that finishes a payment or a refund fail, as a database fault would. */
async function refuseFinishing(): Promise<void> {
  await db().execute(sql`
    create or replace function gateway.refuse_finishing() returns trigger language plpgsql as $$
    begin
      raise exception 'injected fault: % % cannot be finished now', tg_table_name, new.id;
    end $$`);
  for (const table of ["payments", "refunds"]) {
    await db().execute(
      sql.raw(`create or replace trigger refuse_finishing before update on gateway.${table}
        for each row when (new.status in ('SUCCEEDED', 'FAILED'))
        execute function gateway.refuse_finishing()`),
    );
  }
}

async function allowFinishing(): Promise<void> {
  await db().execute(sql`drop trigger if exists refuse_finishing on gateway.payments`);
  await db().execute(sql`drop trigger if exists refuse_finishing on gateway.refunds`);
}

let sequence = 0;
const newPayment = (paymentMethod: string) => {
  sequence++;
  return {
    idempotencyKey: `persist-${sequence}-${Date.now()}`,
    merchantOrderNo: `persist-order-${sequence}-${Date.now()}`,
    amount: 2500n,
    currency: "EUR",
    paymentMethod,
  };
};

const historyOf = async (paymentId: string) =>
  (await given.merchant.gateway.listPaymentEvents({ paymentId, pageSize: 50 })).events;

describe("a saga whose result cannot be written", () => {
  it("answers a charged payment PROCESSING, and the reconciler records it SUCCEEDED, charged once", async () => {
    await refuseFinishing();
    const { payment } = await given.merchant.gateway.createPayment(newPayment("tok_visa"));
    expect(payment?.status).toBe(PaymentStatus.PROCESSING);
    const paymentId = payment?.id ?? "";
    const charge = await given.platform
      .admin(ChannelService, "channel")
      .getCharge({ channel: "sandbox", idempotencyKey: paymentId });
    expect(charge.charge?.status).toBe(ChargeStatus.SUCCEEDED);

    await allowFinishing();
    await eventually(async () => {
      const { payment: now } = await given.merchant.gateway.getPayment({ paymentId });
      expect(now?.status).toBe(PaymentStatus.SUCCEEDED);
      expect(now?.channelPaymentId).toBe(charge.charge?.id);
    });
    const succeeded = (await historyOf(paymentId)).filter(
      (event) => event.toStatus === "PAYMENT_STATUS_SUCCEEDED",
    );
    expect(succeeded).toEqual([expect.objectContaining({ actor: "reconciler" })]);
  });

  it("answers a declined payment PROCESSING, and the reconciler records it FAILED with the channel's code", async () => {
    await refuseFinishing();
    const { payment } = await given.merchant.gateway.createPayment(
      newPayment("tok_chargeDeclined"),
    );
    expect(payment?.status).toBe(PaymentStatus.PROCESSING);

    await allowFinishing();
    await eventually(async () => {
      const { payment: now } = await given.merchant.gateway.getPayment({
        paymentId: payment?.id ?? "",
      });
      expect(now).toMatchObject({ status: PaymentStatus.FAILED, failureCode: "card_declined" });
    });
  });

  it("answers a refund PENDING, its amount still reserved, and the reconciler records it SUCCEEDED", async () => {
    const { payment } = await given.merchant.gateway.createPayment(newPayment("tok_visa"));
    expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
    const paymentId = payment?.id ?? "";

    await refuseFinishing();
    const { refund } = await given.merchant.gateway.createRefund({
      idempotencyKey: `persist-refund-${paymentId}`,
      paymentId,
      amount: 2500n,
    });
    expect(refund?.status).toBe(RefundStatus.PENDING);
    // Reserved: nothing more can be refunded while it is pending.
    await expect(
      given.merchant.gateway.createRefund({
        idempotencyKey: `persist-refund-more-${paymentId}`,
        paymentId,
        amount: 1n,
      }),
    ).rejects.toThrow(/exceeds what is left to refund/);

    await allowFinishing();
    await eventually(async () => {
      const { refund: now } = await given.merchant.gateway.getRefund({
        refundId: refund?.id ?? "",
      });
      expect(now?.status).toBe(RefundStatus.SUCCEEDED);
      const { payment: refunded } = await given.merchant.gateway.getPayment({ paymentId });
      expect(refunded?.refundedAmount).toBe(2500n);
    });
  });
});
