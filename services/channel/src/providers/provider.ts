import type { Secret } from "@kassa/platform";

/**
 * A payment provider (a "channel") as the channel service sees it. The service persists its
 * own record before and after every call, so a provider only has to do four things, each
 * keyed by an id the service chose:
 *
 * - `charge` and `refund` must be idempotent on that id (as real providers are on their
 *   idempotency keys): asked twice, they act once and answer the first decision.
 * - `getCharge` and `getRefund` report what the provider did under that id, or `undefined`
 *   when it never acted, which is how a charge whose answer was lost is found again.
 *
 * Decisions, declines and "I could not be reached" are values, never exceptions; an
 * exception means the outcome is unknown, and the service leaves its record PENDING for
 * `getCharge`/`getRefund` to settle later.
 */
export interface Provider {
  /** The channel name callers use, e.g. `sandbox`. */
  readonly name: string;
  /** Human-readable name, e.g. `Sandbox (test)`. */
  readonly displayName: string;
  /** ISO 4217 codes it accepts, sorted. */
  readonly currencies: readonly string[];
  /** True when it moves no real money. */
  readonly testMode: boolean;

  charge(request: ProviderChargeRequest, call: ProviderCall): Promise<ProviderOutcome>;
  getCharge(chargeId: string): Promise<ProviderOutcome | undefined>;
  refund(request: ProviderRefundRequest, call: ProviderCall): Promise<ProviderOutcome>;
  getRefund(refundId: string): Promise<ProviderOutcome | undefined>;
}

/** What the service's caller set for the call the provider serves. */
export interface ProviderCall {
  /** Aborted at the caller's deadline or when the caller goes away. */
  readonly signal: AbortSignal;
  /** Milliseconds left until the caller's deadline; undefined when it set none. */
  readonly deadlineMs: number | undefined;
}

/**
 * A charge to make; `chargeId` is the provider's idempotency key. The payment method is
 * masked: a provider reveals it only into its own request.
 */
export interface ProviderChargeRequest {
  readonly chargeId: string;
  readonly merchantId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly paymentMethod: Secret;
  readonly description: string;
}

/** A refund to make; `refundId` is the provider's idempotency key. */
export interface ProviderRefundRequest {
  readonly refundId: string;
  readonly chargeId: string;
  /** The provider's own reference of the charge, as it answered the charge. */
  readonly chargeReference: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly reason: string;
}

/** What a provider answered. */
export type ProviderOutcome =
  /** It acted: the money moved. */
  | { readonly status: "SUCCEEDED"; readonly reference: string }
  /** It declined: nothing moved. `failureCode` is stable, `failureMessage` for people. */
  | {
      readonly status: "FAILED";
      readonly reference: string;
      readonly failureCode: string;
      readonly failureMessage: string;
    }
  /** It accepted the request and decides later (asynchronous providers). */
  | { readonly status: "PENDING"; readonly reference: string }
  /** It was not reached, or refused before acting: nothing moved, and trying again is safe. */
  | { readonly status: "UNAVAILABLE"; readonly message: string };

/** An answer in which the provider acted or decided: everything but UNAVAILABLE. */
export type ProviderDecision = Exclude<ProviderOutcome, { readonly status: "UNAVAILABLE" }>;
