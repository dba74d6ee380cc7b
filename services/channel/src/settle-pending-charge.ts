import { chargeRepository } from "./db/charge-repository.js";
import type { ChargeRow } from "./db/schema.js";
import type { ChannelContext } from "./operations/channel-context.js";

/**
 * The charge once its provider has been asked about it. A PENDING charge whose answer was
 * lost (the caller's deadline passed, the process died mid-call, the call runs in another
 * replica) is settled with what the provider did under its id. One the provider has no record
 * of stays PENDING while its call may still be running; once the claim is older than the claim
 * timeout (longer than any provider call may take), no call can still reach the provider, so
 * the claim is released: nothing was charged, and the same request repeated charges afresh.
 * Anything else is returned as it is.
 */
export async function settlePendingCharge(
  context: Pick<ChannelContext, "db" | "clock" | "channels" | "claimTimeoutMs">,
  charge: ChargeRow,
): Promise<ChargeRow> {
  if (charge.status !== "PENDING") return charge;
  const outcome = await context.channels.channelOf(charge).getCharge(charge.id);
  const now = context.clock.now();
  if (!outcome && now.getTime() - charge.updatedAt.getTime() >= context.claimTimeoutMs) {
    return chargeRepository.release(context.db, charge.id, abandonedClaimMessage, now);
  }
  if (!outcome || outcome.status === "UNAVAILABLE") return charge;
  return chargeRepository.settle(context.db, charge.id, outcome, now);
}

/** Why an abandoned claim was released; callers see it in the UNAVAILABLE message. */
export const abandonedClaimMessage = "the call was abandoned before it reached the provider";
