import { parseSettlementHint, type RedisStore, settlementHintChannel } from "@kassa/platform";
import type { GatewayContext } from "./gateway-context.js";
import { reconcileNow } from "./saga/reconciler.js";

/**
 * Listens for the channel's settlement hints (a provider notified the channel that a charge
 * or refund it held PENDING is decided) and reconciles that one payment or refund at once,
 * so an asynchronous charge finishes within moments instead of at the reconciler's age.
 * Hints are lossy by design (pub/sub: a gateway that is away or reconnecting misses them),
 * so nothing depends on them: the reconciler's rounds still finish whatever they miss.
 * Resolves once `signal` aborts and the subscription is closed (or, while Redis is away and
 * it was never confirmed, soon after).
 */
export async function startSettlementHints(
  context: GatewayContext,
  redis: RedisStore,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  // While Redis is away the subscription waits for it; shutdown must not wait with it.
  const subscribing = redis.subscribe(settlementHintChannel, (message) => {
    const hint = parseSettlementHint(message);
    if (!hint) {
      context.logger.warn("ignored a malformed settlement hint");
      return;
    }
    // The gateway's payment and refund ids are the channel's idempotency keys.
    const kind = hint.kind === "charge" ? "payment" : "refund";
    reconcileNow(context, kind, hint.idempotencyKey).catch((error: unknown) => {
      context.logger.warn(
        { id: hint.idempotencyKey, err: error },
        "settlement hint not acted on; the reconciler will finish it",
      );
    });
  });
  subscribing.catch((error: unknown) => {
    context.logger.warn(
      { err: error },
      "settlement hints unavailable; the reconciler finishes payments",
    );
  });
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  await Promise.race([
    subscribing.then((subscription) => subscription.close()).catch(() => {}),
    // Never confirmed (Redis away): closing the store ends it.
    new Promise((resolve) => setTimeout(resolve, 1000).unref()),
  ]);
}
