import { Code } from "@connectrpc/connect";
import {
  GatewayService,
  PaymentStatus,
  RefundStatus,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { BlocklistEntryType, RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { rejectionOf, testClient, testTokens } from "@kassa/platform/testing";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayDatabase } from "../db/gateway-database.js";
import { paymentRepository } from "../db/payment-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import { statusTransitions } from "../db/schema.js";
import { failure } from "../failure-catalogue.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  // The reconciler takes over a PROCESSING payment only once it is older than the saga's own
  // channel deadline (5 s) could keep it: with the harness's 500 ms, a charge slow on a loaded
  // machine was finished by the reconciler, and the history rightly credited it, not the request.
  platform = await startGatewayPlatform("gw_history", { gateway: { RECONCILE_AFTER_MS: "8000" } });
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

let sequence = 0;
/** Creates a payment under a known request id, so its history's actor can be asserted. */
async function pay(paymentMethod: string, overrides: Record<string, unknown> = {}) {
  sequence++;
  const requestId = `history-${sequence}`;
  const { payment } = await merchant.gateway.createPayment(
    {
      idempotencyKey: `history-${sequence}-${Date.now()}`,
      merchantOrderNo: `history-${sequence}-${Date.now()}`,
      amount: 3000n,
      currency: "USD",
      paymentMethod,
      ...overrides,
    },
    { headers: { "x-request-id": requestId } },
  );
  return { paymentId: payment?.id ?? "", status: payment?.status, requestId };
}

/** The whole history, as the fields a reader compares. */
async function history(paymentId: string) {
  const { events } = await merchant.gateway.listPaymentEvents({ paymentId });
  return events.map(({ subjectId, fromStatus, toStatus, reason, actor }) => ({
    subjectId,
    fromStatus,
    toStatus,
    reason,
    actor,
  }));
}

const gatewayDb = () => platform.services.gateway.context.db as GatewayDatabase;
const historyRows = (paymentId: string) =>
  gatewayDb().$count(statusTransitions, eq(statusTransitions.paymentId, paymentId));

describe("ListPaymentEvents", () => {
  it("tells a succeeded payment's story: created, processing, succeeded, each by its request", async () => {
    const { paymentId, status, requestId } = await pay("tok_visa");
    expect(status).toBe(PaymentStatus.SUCCEEDED);
    const actor = `request:${requestId}`;
    expect(await history(paymentId)).toEqual([
      {
        subjectId: paymentId,
        fromStatus: "",
        toStatus: "PAYMENT_STATUS_PENDING",
        reason: "payment created",
        actor,
      },
      {
        subjectId: paymentId,
        fromStatus: "PAYMENT_STATUS_PENDING",
        toStatus: "PAYMENT_STATUS_PROCESSING",
        reason: "order created; charging",
        actor,
      },
      {
        subjectId: paymentId,
        fromStatus: "PAYMENT_STATUS_PROCESSING",
        toStatus: "PAYMENT_STATUS_SUCCEEDED",
        reason: "charge succeeded",
        actor,
      },
    ]);
    const { events } = await merchant.gateway.listPaymentEvents({ paymentId });
    expect(events.every((event) => event.occurredAt !== undefined)).toBe(true);
  });

  it("records a risk rejection as PENDING → FAILED with its failure code", async () => {
    await platform.admin(RiskService, "risk").addBlocklistEntry({
      type: BlocklistEntryType.EMAIL,
      value: "history-fraud@example.com",
      reason: "chargebacks",
    });
    const { paymentId, status, requestId } = await pay("tok_visa", {
      customer: { email: "history-fraud@example.com" },
    });
    expect(status).toBe(PaymentStatus.FAILED);
    expect(
      (await history(paymentId)).map(({ fromStatus, toStatus, reason, actor }) => [
        fromStatus,
        toStatus,
        reason,
        actor,
      ]),
    ).toEqual([
      ["", "PAYMENT_STATUS_PENDING", "payment created", `request:${requestId}`],
      ["PAYMENT_STATUS_PENDING", "PAYMENT_STATUS_FAILED", "risk_rejected", `request:${requestId}`],
    ]);
  });

  it("records a declined charge with the channel's code", async () => {
    const { paymentId } = await pay("tok_chargeDeclined");
    const last = (await history(paymentId)).at(-1);
    expect(last).toMatchObject({
      fromStatus: "PAYMENT_STATUS_PROCESSING",
      toStatus: "PAYMENT_STATUS_FAILED",
      reason: "card_declined",
    });
  });

  it("credits the reconciler with finishing a payment whose charge answered too late", async () => {
    const { paymentId, status, requestId } = await pay("tok_timeout");
    expect(status).toBe(PaymentStatus.PROCESSING);
    await eventually(async () => {
      const { payment } = await merchant.gateway.getPayment({ paymentId });
      expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
    });
    const events = await history(paymentId);
    expect(events.map((event) => event.actor)).toEqual([
      `request:${requestId}`,
      `request:${requestId}`,
      "reconciler",
    ]);
    expect(events.at(-1)).toMatchObject({
      fromStatus: "PAYMENT_STATUS_PROCESSING",
      toStatus: "PAYMENT_STATUS_SUCCEEDED",
      reason: "charge succeeded",
    });
  });

  it("includes the payment's refunds: requested, then succeeded or declined", async () => {
    const { paymentId } = await pay("tok_visa");
    const { refund: returned } = await merchant.gateway.createRefund(
      { idempotencyKey: `history-refund-${paymentId}`, paymentId, amount: 1000n },
      { headers: { "x-request-id": "history-refund" } },
    );
    expect(returned?.status).toBe(RefundStatus.SUCCEEDED);
    const refundId = returned?.id ?? "";
    expect((await history(paymentId)).slice(3)).toEqual([
      {
        subjectId: refundId,
        fromStatus: "",
        toStatus: "REFUND_STATUS_PENDING",
        reason: "refund requested",
        actor: "request:history-refund",
      },
      {
        subjectId: refundId,
        fromStatus: "REFUND_STATUS_PENDING",
        toStatus: "REFUND_STATUS_SUCCEEDED",
        reason: "refund succeeded",
        actor: "request:history-refund",
      },
    ]);

    const { paymentId: refusedId } = await pay("tok_refundFails");
    const { refund: declined } = await merchant.gateway.createRefund({
      idempotencyKey: `history-refund-${refusedId}`,
      paymentId: refusedId,
      amount: 1000n,
    });
    expect(declined?.status).toBe(RefundStatus.FAILED);
    expect((await history(refusedId)).at(-1)).toMatchObject({
      subjectId: declined?.id,
      fromStatus: "REFUND_STATUS_PENDING",
      toStatus: "REFUND_STATUS_FAILED",
      reason: "refund_declined",
    });
  });

  it("writes no event for a transition that does not apply, such as a duplicate finish", async () => {
    const { paymentId } = await pay("tok_visa");
    const { refund } = await merchant.gateway.createRefund({
      idempotencyKey: `history-duplicate-${paymentId}`,
      paymentId,
      amount: 500n,
    });
    const before = await historyRows(paymentId);
    expect(before).toBe(5);
    const cause = { reason: "duplicate", actor: "test" };
    const at = new Date();
    const db = gatewayDb();
    expect(await paymentRepository.succeed(db, paymentId, "ch_again", at, cause)).toBeUndefined();
    expect(
      await paymentRepository.fail(
        db,
        paymentId,
        ["PENDING", "PROCESSING", "CAPTURING"],
        failure("declined", "late"),
        at,
        cause,
      ),
    ).toBeUndefined();
    expect(
      await paymentRepository.markProcessing(
        db,
        paymentId,
        { orderId: "ord_x", riskScore: 0, at },
        cause,
      ),
    ).toBeUndefined();
    expect(
      await refundRepository.succeed(db, refund?.id ?? "", "re_again", at, cause),
    ).toBeUndefined();
    expect(await historyRows(paymentId)).toBe(before);
  });

  it("refuses, in the database, to change or remove a recorded event", async () => {
    const { paymentId } = await pay("tok_visa");
    await expect(
      gatewayDb().execute(
        sql`update gateway.status_transitions set reason = 'rewritten' where payment_id = ${paymentId}`,
      ),
    ).rejects.toThrow();
    await expect(
      gatewayDb().execute(
        sql`delete from gateway.status_transitions where payment_id = ${paymentId}`,
      ),
    ).rejects.toThrow();
    expect(await historyRows(paymentId)).toBe(3);
  });

  it("pages oldest first; a token is bound to its payment", async () => {
    const { paymentId } = await pay("tok_visa");
    const whole = await history(paymentId);
    const paged = [];
    let pageToken = "";
    do {
      const page = await merchant.gateway.listPaymentEvents({ paymentId, pageSize: 2, pageToken });
      paged.push(...page.events.map((event) => event.toStatus));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(paged).toEqual(whole.map((event) => event.toStatus));

    const first = await merchant.gateway.listPaymentEvents({ paymentId, pageSize: 1 });
    const { paymentId: otherId } = await pay("tok_visa");
    const error = await rejectionOf(
      merchant.gateway.listPaymentEvents({ paymentId: otherId, pageToken: first.nextPageToken }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("answers NOT_FOUND for another merchant's payment, as for a missing one", async () => {
    const { paymentId } = await pay("tok_visa");
    const stranger = await platform.newMerchant("Stranger");
    const theirs = await rejectionOf(stranger.gateway.listPaymentEvents({ paymentId }));
    expect(theirs.code).toBe(Code.NotFound);
    const missing = await rejectionOf(
      merchant.gateway.listPaymentEvents({ paymentId: "pay_01JZZZZZZZZZZZZZZZZZZZZZZZ" }),
    );
    expect(missing.code).toBe(Code.NotFound);
  });

  it("lets an operator with the admin token read any merchant's history", async () => {
    const { paymentId } = await pay("tok_visa");
    const operator = testClient(GatewayService, platform.services.gateway.url, testTokens.admin);
    const { events } = await operator.listPaymentEvents({ paymentId });
    expect(events).toHaveLength(3);
  });
});
