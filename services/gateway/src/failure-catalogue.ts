/**
 * Every failure code a payment or a refund can end with, and the message merchants read with
 * it. The set is closed: merchants switch on these codes, so a new one is a contract change.
 * Declines come from the channel; a provider's code outside the catalogue is kept in the
 * message of a `declined`, never passed through as a code of its own.
 */
const catalogue = {
  // Declines, as the channel reports them.
  card_declined: { from: "channel", message: "the card was declined" },
  insufficient_funds: { from: "channel", message: "the card has insufficient funds" },
  invalid_payment_method: { from: "channel", message: "the payment method is not valid" },
  capture_declined: { from: "channel", message: "the card issuer declined the capture" },
  refund_declined: { from: "channel", message: "the card issuer declined the refund" },
  authorization_expired: {
    from: "channel",
    message: "the authorization lapsed at the channel before it was captured",
  },
  declined: { from: "channel", message: "the channel declined it" },
  // The gateway's own: nothing reached the channel, or nothing was left to do there.
  risk_rejected: { from: "gateway", message: "risk assessment rejected the payment" },
  channel_unavailable: {
    from: "gateway",
    message: "the channel could not be reached; nothing was sent to it",
  },
  service_unavailable: {
    from: "gateway",
    message: "a service the payment needs could not be reached; nothing was charged",
  },
  invalid_request: { from: "gateway", message: "a service refused the request; nothing was sent" },
  deadline_exceeded: {
    from: "gateway",
    message: "the caller's deadline ran out before the channel was asked; nothing was sent to it",
  },
  expired: {
    from: "gateway",
    message: "the authorization was not captured within CAPTURE_EXPIRY_MS and was voided",
  },
} as const satisfies Record<string, { from: "channel" | "gateway"; message: string }>;

/** A failure code from the catalogue. */
export type FailureCode = keyof typeof catalogue;

/** Why a payment or a refund failed: a catalogue code and its message. */
export interface Failure {
  readonly code: FailureCode;
  readonly message: string;
}

/**
 * The failure `code` with its catalogue message; `detail` (which step, what a service said)
 * follows it after a colon. Details never hold secrets: callers pass step names and other
 * services' error messages, which are themselves redacted.
 */
export function failure(code: FailureCode, detail?: string): Failure {
  const message = catalogue[code].message;
  return { code, message: detail ? `${message}: ${detail}` : message };
}

/**
 * A decline as the channel reported it: one of the catalogue's declines, or `declined` with
 * the provider's own code and message as detail (so no unknown code reaches merchants).
 */
export function channelDecline(code: string, message: string): Failure {
  if (Object.hasOwn(catalogue, code) && catalogue[code as FailureCode].from === "channel") {
    return failure(code as FailureCode);
  }
  return failure("declined", message ? `${code || "unknown"}: ${message}` : code || undefined);
}

/** The whole catalogue, code → message, for the docs and the contract test. */
export const failureMessages: Readonly<Record<FailureCode, string>> = Object.fromEntries(
  Object.entries(catalogue).map(([code, entry]) => [code, entry.message]),
) as Record<FailureCode, string>;
