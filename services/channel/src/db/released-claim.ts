/**
 * The failure code of an attempt that never reached its provider (it answered UNAVAILABLE
 * before acting). Such a row is a released claim: nothing was charged or refunded, callers
 * never see it (Get answers NOT_FOUND, as the contract says for "nothing happened"), and the
 * same request repeated with its key claims it again, so a retry really retries.
 */
export const releasedClaimCode = "provider_unavailable";

/** Whether a charge or refund row is a released claim (see {@link releasedClaimCode}). */
export function isReleasedClaim(row: { status: string; failureCode: string | null }): boolean {
  return row.status === "FAILED" && row.failureCode === releasedClaimCode;
}
