import {
  ChannelRefundStatus,
  ChannelService,
  ChargeStatus,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import {
  createId,
  parseSettlementHint,
  Secret,
  type SettlementHint,
  settlementHintChannel,
} from "@kassa/platform";
import { eventually, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargeRepository } from "../db/charge-repository.js";
import { notificationRepository } from "../db/notification-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import { sandboxRepository } from "../db/sandbox-repository.js";
import {
  sandboxDevelopmentWebhookSecret,
  sandboxSignatureToleranceMs,
  signSandboxNotification,
} from "../providers/sandbox-notification.js";
import { channelService } from "../server.js";

// The whole path on a real port: the sandbox decides a PENDING charge when its notification
// falls due (on a fake clock the test moves) and POSTs it, signed, to the channel's own
// /webhooks/sandbox; forged and replayed notifications are sent by hand.

const delayMs = 60_000;
let aheadMs = 0;
const clock = { now: () => new Date(Date.now() + aheadMs) };
const start = () =>
  startTestService(channelService, {
    label: "channel_notifications",
    clock,
    env: { SANDBOX_NOTIFICATION_DELAY_MS: String(delayMs) },
  });
let service: Awaited<ReturnType<typeof start>>;
const hints: SettlementHint[] = [];
beforeAll(async () => {
  service = await start();
  await service.context.redis.subscribe(settlementHintChannel, (message) => {
    const hint = parseSettlementHint(message);
    if (hint) hints.push(hint);
  });
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);
const secret = new Secret(sandboxDevelopmentWebhookSecret);

/** A charge the sandbox answers PENDING and decides only once its notification is due. */
async function pendingCharge(paymentMethod = "tok_pendingThenSucceeds") {
  const idempotencyKey = createId("pay");
  const { charge } = await client().charge({
    idempotencyKey,
    channel: "sandbox",
    merchantId: createId("mer"),
    amount: 2500n,
    currency: "USD",
    paymentMethod,
  });
  expect(charge?.status).toBe(ChargeStatus.PENDING);
  return { idempotencyKey, chargeId: charge?.id ?? "" };
}

const chargeStatus = async (idempotencyKey: string) =>
  (await client().getCharge({ channel: "sandbox", idempotencyKey })).charge;

/** A sandbox event as the sandbox writes it. */
const event = (chargeId: string, type = "charge.succeeded", id = createId("evt")) =>
  JSON.stringify({
    id,
    type,
    created: Math.floor(clock.now().getTime() / 1000),
    data: {
      id: chargeId,
      ...(type.endsWith("failed") && { failure_code: "card_declined", failure_message: "No." }),
    },
  });

async function post(body: string, signature: string | undefined, path = "/webhooks/sandbox") {
  const response = await fetch(`${service.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(signature !== undefined && { "sandbox-signature": signature }),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const signed = (body: string, at = clock.now(), key = secret) =>
  signSandboxNotification(key, body, at);

describe("provider notifications: the sandbox's asynchronous charges", () => {
  it("settles a PENDING charge SUCCEEDED when its signed notification arrives, and hints the gateway", async () => {
    const { idempotencyKey, chargeId } = await pendingCharge();
    expect((await chargeStatus(idempotencyKey))?.status).toBe(ChargeStatus.PENDING);

    aheadMs += delayMs;
    // Wait for the notification itself, not through GetCharge: asking the channel about a
    // PENDING charge settles it with the provider, and the notification would find it settled.
    await eventually(async () => {
      const sent = await sandboxRepository.findNotificationOf(service.context.db, chargeId);
      expect(sent?.acknowledgedAt ?? null).not.toBeNull();
    });
    expect((await chargeStatus(idempotencyKey))?.status).toBe(ChargeStatus.SUCCEEDED);
    const notification = await sandboxRepository.findNotificationOf(service.context.db, chargeId);
    const received = await notificationRepository.find(
      service.context.db,
      "sandbox",
      notification?.id ?? "",
    );
    expect(received).toMatchObject({ subjectId: chargeId, status: "SUCCEEDED", applied: true });
    await eventually(() => expect(hints).toContainEqual({ kind: "charge", idempotencyKey }));
  });

  it("settles a PENDING charge FAILED card_declined when the notification says it was declined", async () => {
    const { idempotencyKey } = await pendingCharge("tok_pendingThenDeclined");
    aheadMs += delayMs;
    await eventually(async () => {
      const charge = await chargeStatus(idempotencyKey);
      expect(charge?.status).toBe(ChargeStatus.FAILED);
      expect(charge?.failureCode).toBe("card_declined");
    });
  });
});

describe("provider notifications: refunds", () => {
  it("settles a PENDING refund SUCCEEDED, counts it on its charge, and hints the gateway", async () => {
    const paymentKey = createId("pay");
    const { charge } = await client().charge({
      idempotencyKey: paymentKey,
      channel: "sandbox",
      merchantId: createId("mer"),
      amount: 5000n,
      currency: "USD",
      paymentMethod: "tok_visa",
    });
    // A refund the provider accepted and decides later: claimed PENDING, its amount reserved.
    const refundKey = createId("ref");
    const refundId = await service.context.db.transaction(async (tx) => {
      const { refund } = await refundRepository.claim(tx, {
        id: createId("chr"),
        channel: "sandbox",
        idempotencyKey: refundKey,
        chargeId: charge?.id ?? "",
        merchantId: charge?.merchantId ?? "",
        amount: 1200n,
        currency: "USD",
        reason: "",
        at: clock.now(),
      });
      await chargeRepository.reserveRefund(tx, charge?.id ?? "", 1200n);
      return refund.id;
    });

    const body = event(refundId, "refund.succeeded");
    expect(await post(body, signed(body))).toMatchObject({
      status: 200,
      body: { result: "applied" },
    });
    const { refund } = await client().getChannelRefund({
      channel: "sandbox",
      idempotencyKey: refundKey,
    });
    expect(refund?.status).toBe(ChannelRefundStatus.SUCCEEDED);
    const settled = await chargeRepository.find(service.context.db, charge?.id ?? "");
    expect(settled).toMatchObject({ refundedAmount: 1200n, refundingAmount: 0n });
    await eventually(() =>
      expect(hints).toContainEqual({ kind: "refund", idempotencyKey: refundKey }),
    );
  });
});

describe("POST /webhooks/<channel>", () => {
  it("answers a replayed notification 200 and changes nothing", async () => {
    const { idempotencyKey, chargeId } = await pendingCharge();
    const eventId = createId("evt");
    const first = event(chargeId, "charge.succeeded", eventId);
    expect(await post(first, signed(first))).toEqual({
      status: 200,
      body: { received: true, result: "applied" },
    });
    expect((await chargeStatus(idempotencyKey))?.status).toBe(ChargeStatus.SUCCEEDED);

    // The same event again, even re-signed with another outcome, is a duplicate.
    expect(await post(first, signed(first))).toMatchObject({
      status: 200,
      body: { result: "duplicate" },
    });
    const replayedOtherwise = event(chargeId, "charge.failed", eventId);
    expect(await post(replayedOtherwise, signed(replayedOtherwise))).toMatchObject({
      status: 200,
      body: { result: "duplicate" },
    });
    // A new event about a charge already decided is taken and ignored.
    const late = event(chargeId, "charge.failed");
    expect(await post(late, signed(late))).toMatchObject({
      status: 200,
      body: { result: "ignored" },
    });
    expect((await chargeStatus(idempotencyKey))?.status).toBe(ChargeStatus.SUCCEEDED);
  });

  it("refuses a forged notification with 401 and changes nothing", async () => {
    const { idempotencyKey, chargeId } = await pendingCharge();
    const body = event(chargeId);
    const otherSecret = new Secret("whsec_someone_else_0123456789abcdef0123");
    const stale = new Date(clock.now().getTime() - sandboxSignatureToleranceMs - 1000);
    const tampered = event(chargeId, "charge.failed");
    const forgeries = [
      ["no signature", body, undefined],
      ["another secret", body, signed(body, clock.now(), otherSecret)],
      ["a stale timestamp", body, signed(body, stale)],
      ["a tampered body", tampered, signed(body)],
      ["a garbled header", body, "t=abc,v1=zz"],
    ] as const;
    for (const [, forged, signature] of forgeries) {
      expect(await post(forged, signature)).toEqual({
        status: 401,
        body: { error: "not authentic" },
      });
    }
    expect((await chargeStatus(idempotencyKey))?.status).toBe(ChargeStatus.PENDING);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(
      /kassa_provider_notifications_total\{channel="sandbox",result="rejected",service="channel"\} [1-9]/,
    );
  });

  it("answers 400 to a signed body that is not a sandbox event, 404 to an unknown channel, 413 to a huge body", async () => {
    const garbage = "{not json";
    expect((await post(garbage, signed(garbage))).status).toBe(400);
    const foreign = JSON.stringify({ id: createId("evt"), type: "payout.paid", data: { id: "x" } });
    expect((await post(foreign, signed(foreign))).status).toBe(400);
    const body = event(createId("ch"));
    expect((await post(body, signed(body), "/webhooks/nowhere")).status).toBe(404);
    const huge = "x".repeat(200 * 1024);
    expect((await post(huge, signed(huge))).status).toBe(413);
  });
});
