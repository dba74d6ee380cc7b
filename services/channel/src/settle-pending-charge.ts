import { chargeRepository } from "./db/charge-repository.js";
import type { ChargeRow } from "./db/schema.js";
import type { ChannelContext } from "./operations/channel-context.js";

/**
 * The charge once its provider has been asked about it. A PENDING charge whose answer was
 * lost (the caller's deadline passed, the process died mid-call, the call runs in another
 * replica) is settled with what the provider did under its id; one the provider never saw,
 * or cannot report on now, stays PENDING. Anything else is returned as it is.
 */
export async function settlePendingCharge(
  context: Pick<ChannelContext, "db" | "clock" | "channels">,
  charge: ChargeRow,
): Promise<ChargeRow> {
  if (charge.status !== "PENDING") return charge;
  const outcome = await context.channels.channelOf(charge).getCharge(charge.id);
  if (!outcome || outcome.status === "UNAVAILABLE") return charge;
  return chargeRepository.settle(context.db, charge.id, outcome, context.clock.now());
}
