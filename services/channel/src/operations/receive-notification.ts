import {
  encodeSettlementHint,
  type HttpRouteRequest,
  type HttpRouteResponse,
  type Logger,
  type RedisStore,
  settlementHintChannel,
} from "@kassa/platform";
import type { ChannelMetrics } from "../channel-metrics.js";
import { chargeRepository } from "../db/charge-repository.js";
import { notificationRepository } from "../db/notification-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import { NotificationRefused } from "../providers/notification-refused.js";
import type { ProviderNotification } from "../providers/provider.js";
import type { ChannelContext } from "./channel-context.js";

/** What receiving a notification needs beyond the operations' context. */
export interface NotificationContext extends Pick<ChannelContext, "db" | "clock" | "channels"> {
  readonly logger: Logger;
  readonly metrics: ChannelMetrics;
  /** Where the settlement hint is published. */
  readonly redis: RedisStore;
}

/** The path prefix of the route; the channel name follows it. */
export const notificationPathPrefix = "/webhooks/";

/**
 * `POST /webhooks/<channel>`: a provider's asynchronous notification. Verified with the
 * provider's own scheme (unknown channel 404; not authentic 401; not understood 400: nothing
 * changes), recorded by the provider's event id (seen before: 200, nothing changes), and
 * applied in the same transaction: the PENDING charge or refund it concerns takes its
 * outcome. After the commit a settlement hint tells the gateway to finish its payment or
 * refund now; the hint may be lost, and the gateway's reconciler remains the safety net. A
 * provider resends on anything but 2xx, so only a failed write answers 5xx.
 */
export async function receiveNotification(
  context: NotificationContext,
  request: HttpRouteRequest,
): Promise<HttpRouteResponse> {
  // Validate: a configured channel that takes notifications, and a notification it signed.
  const name = request.path.slice(notificationPathPrefix.length);
  const provider = context.channels.list().find((channel) => channel.name === name);
  if (!provider?.verifyNotification) {
    return { status: 404, body: { error: "no such channel takes notifications" } };
  }
  let notification: ProviderNotification;
  try {
    notification = provider.verifyNotification(request.headers, request.body);
  } catch (error) {
    if (!(error instanceof NotificationRefused)) throw error;
    context.metrics.notifications.inc({ channel: name, result: "rejected" });
    context.logger.warn({ channel: name, reason: error.message }, "provider notification refused");
    return {
      status: error.refusal === "unauthentic" ? 401 : 400,
      body: { error: error.refusal === "unauthentic" ? "not authentic" : "not understood" },
    };
  }

  // Persist the event id and apply what it says, in one transaction.
  let result: "applied" | "ignored" | "duplicate";
  let idempotencyKey: string | undefined;
  try {
    ({ result, idempotencyKey } = await apply(context, name, notification));
  } catch (error) {
    context.metrics.notifications.inc({ channel: name, result: "failed" });
    throw error;
  }
  context.metrics.notifications.inc({ channel: name, result });
  context.logger.info(
    { channel: name, event_id: notification.eventId, kind: notification.kind, result },
    "provider notification received",
  );

  // Tell the gateway; lossy by design (its reconciler finds whatever this misses).
  if (idempotencyKey !== undefined) {
    const hint = encodeSettlementHint({ kind: notification.kind, idempotencyKey });
    await context.redis.publish(settlementHintChannel, hint).catch((error: unknown) => {
      context.logger.warn(
        { err: error },
        "settlement hint not published; the reconciler will finish it",
      );
    });
  }
  return { status: 200, body: { received: true, result } };
}

/**
 * Records the notification and settles what it concerns, under its lock; resolves with the
 * caller's idempotency key of what was settled, for the hint.
 */
function apply(
  context: NotificationContext,
  channel: string,
  notification: ProviderNotification,
): Promise<{ result: "applied" | "ignored" | "duplicate"; idempotencyKey?: string }> {
  const at = context.clock.now();
  return context.db.transaction(async (tx) => {
    const recorded = await notificationRepository.record(tx, {
      channel,
      eventId: notification.eventId,
      kind: notification.kind,
      subjectId: notification.id,
      status: notification.outcome.status,
      receivedAt: at,
    });
    if (!recorded) return { result: "duplicate" };
    let idempotencyKey: string | undefined;
    if (notification.kind === "charge") {
      const charge = await chargeRepository.lock(tx, notification.id);
      if (charge?.channel === channel && charge.status === "PENDING") {
        await chargeRepository.settle(tx, charge.id, notification.outcome, at);
        idempotencyKey = charge.idempotencyKey;
      }
    } else {
      const refund = await refundRepository.lock(tx, notification.id);
      if (refund?.channel === channel && refund.status === "PENDING") {
        await refundRepository.settle(tx, refund, notification.outcome, at);
        idempotencyKey = refund.idempotencyKey;
      }
    }
    if (idempotencyKey === undefined) return { result: "ignored" };
    await notificationRepository.markApplied(tx, channel, notification.eventId);
    return { result: "applied", idempotencyKey };
  });
}
