import { authorizationRepository } from "./db/authorization-repository.js";
import type { AuthorizationRow } from "./db/schema.js";
import type { ChannelContext } from "./operations/channel-context.js";
import { abandonedClaimMessage } from "./settle-pending-charge.js";

/**
 * The authorization once its provider has been asked about it, as `settlePendingCharge` does
 * for charges, for each step whose answer may have been lost: a PENDING authorization, a
 * CAPTURING capture or a VOIDING void is settled with what the provider did under its id. One
 * the provider has no record of stays as it is while its call may still be running, and is
 * released once older than the claim timeout (no call can still reach the provider): a
 * PENDING claim as "nothing authorized", a capture or void back to AUTHORIZED, so the same
 * request repeated asks afresh. An AUTHORIZED one past its expiry becomes EXPIRED.
 */
export async function settlePendingAuthorization(
  context: Pick<ChannelContext, "db" | "clock" | "channels" | "claimTimeoutMs">,
  authorization: AuthorizationRow,
): Promise<AuthorizationRow> {
  const provider = context.channels.channelOf(authorization);
  const { id, status } = authorization;
  const abandoned = (now: Date) =>
    now.getTime() - authorization.updatedAt.getTime() >= context.claimTimeoutMs;

  if (status === "PENDING") {
    const outcome = await provider.getAuthorization(id);
    const now = context.clock.now();
    if (!outcome && abandoned(now)) {
      return authorizationRepository.release(context.db, id, abandonedClaimMessage, now);
    }
    if (!outcome || outcome.status === "UNAVAILABLE") return authorization;
    return authorizationRepository.settle(context.db, id, outcome, now);
  }
  if (status === "CAPTURING" || status === "VOIDING") {
    const outcome = await (status === "CAPTURING" ? provider.getCapture(id) : provider.getVoid(id));
    const now = context.clock.now();
    if (!outcome && abandoned(now)) {
      return authorizationRepository.releaseChange(context.db, id, status, now);
    }
    if (!outcome || outcome.status === "UNAVAILABLE") return authorization;
    if (status === "CAPTURING") {
      return authorizationRepository.settleCapture(context.db, id, outcome, now);
    }
    return outcome.status === "SUCCEEDED"
      ? authorizationRepository.settleVoid(context.db, id, now)
      : authorization;
  }
  const now = context.clock.now();
  if (status === "AUTHORIZED" && authorization.expiresAt && authorization.expiresAt <= now) {
    return authorizationRepository.expire(context.db, id, now);
  }
  return authorization;
}
