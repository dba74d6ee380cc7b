import type { Secret } from "@kassa/platform";
import type { WithSubquery } from "drizzle-orm";
import type { ChannelDatabase } from "../db/channel-database.js";

/**
 * A payment provider (a "channel") as the channel service sees it. The service persists its
 * own record before and after every call, so a provider only has to act and report, each
 * time keyed by an id the service chose:
 *
 * - `charge`, `refund`, `authorize`, `capture` and `void` must be idempotent on that id (as
 *   real providers are on their idempotency keys): asked twice, they act once and answer the
 *   first decision. An authorization is captured or voided at most once, so its capture and
 *   its void are keyed by the authorization's own id.
 * - `getCharge`, `getRefund`, `getAuthorization`, `getCapture` and `getVoid` report what the
 *   provider did under that id, or `undefined` when it never acted, which is how an action
 *   whose answer was lost is found again.
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

  /**
   * `settle`, when given, is the service's write of the decision: a provider that keeps its
   * own record in the service's database (the sandbox) may run it in the statement, or the
   * transaction, that records its decision, so both commit together (a crash leaves neither:
   * nothing charged, the claim still PENDING). A provider that does not use it leaves the
   * write to the service, after the call.
   */
  charge(
    request: ProviderChargeRequest,
    call: ProviderCall,
    settle?: SettleDecision,
  ): Promise<ProviderOutcome>;
  getCharge(chargeId: string): Promise<ProviderOutcome | undefined>;
  refund(request: ProviderRefundRequest, call: ProviderCall): Promise<ProviderOutcome>;
  getRefund(refundId: string): Promise<ProviderOutcome | undefined>;
  authorize(
    request: ProviderAuthorizeRequest,
    call: ProviderCall,
  ): Promise<ProviderAuthorizationOutcome>;
  getAuthorization(authorizationId: string): Promise<ProviderAuthorizationOutcome | undefined>;
  /** Takes `amount` of the hold and releases the rest; SUCCEEDED means it was taken. */
  capture(request: ProviderCaptureRequest, call: ProviderCall): Promise<ProviderOutcome>;
  getCapture(authorizationId: string): Promise<ProviderOutcome | undefined>;
  /** Releases the hold; SUCCEEDED means it was released. */
  void(request: ProviderVoidRequest, call: ProviderCall): Promise<ProviderVoidOutcome>;
  getVoid(authorizationId: string): Promise<ProviderVoidOutcome | undefined>;
  /**
   * Reads an asynchronous notification the provider sent to `POST /webhooks/<name>`, having
   * checked with the provider's own scheme (a signature over the exact body) that the
   * provider sent it, recently. Optional: a provider without one sends no notifications, and
   * its route answers 404.
   *
   * @throws NotificationRefused when it is not authentic, or authentic but not understood.
   */
  verifyNotification?(headers: NotificationHeaders, rawBody: Buffer): ProviderNotification;
}

/** The service's write of a provider's decision, committed with the provider's record (see `charge`). */
export interface SettleDecision {
  /**
   * Writes the decision in the statement that records it: `recorded` is that statement's
   * data-modifying CTE (the provider's `INSERT … RETURNING`), and the write applies only
   * alongside a row of it, in one commit. Resolves false when it did not apply (nothing was
   * recorded, or the service's record was settled already); the provider then reads its
   * record and uses `inTransaction`.
   */
  inStatement(
    db: ChannelDatabase,
    decision: ProviderDecision,
    recorded: WithSubquery,
  ): Promise<boolean>;
  /** Writes the decision in `tx`, the transaction that records it (or found it recorded). */
  inTransaction(tx: ChannelDatabase, decision: ProviderDecision): Promise<void>;
}

/** Request headers by lower-case name. */
export type NotificationHeaders = Readonly<Record<string, string | undefined>>;

/**
 * What a provider notified: it decided a charge or a refund the service asked it for, named
 * by the id the service asked with (its idempotency key at the provider).
 */
export interface ProviderNotification {
  /** The provider's id of this event: the same on every resend, unique per event. */
  readonly eventId: string;
  readonly kind: "charge" | "refund";
  /** The charge or refund id the service gave the provider. */
  readonly id: string;
  readonly outcome: Exclude<ProviderDecision, { readonly status: "PENDING" }>;
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

/**
 * An amount to hold; `authorizationId` is the provider's idempotency key. The payment method
 * is masked, as for a charge.
 */
export interface ProviderAuthorizeRequest {
  readonly authorizationId: string;
  readonly merchantId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly paymentMethod: Secret;
  readonly description: string;
}

/** A capture of an authorization, keyed by the authorization's id (it is captured once). */
export interface ProviderCaptureRequest {
  readonly authorizationId: string;
  /** The provider's own reference of the authorization, as it answered it. */
  readonly authorizationReference: string;
  /** At most the authorized amount. */
  readonly amount: bigint;
  readonly currency: string;
}

/** A void of an authorization, keyed by the authorization's id (it is voided once). */
export interface ProviderVoidRequest {
  readonly authorizationId: string;
  /** The provider's own reference of the authorization, as it answered it. */
  readonly authorizationReference: string;
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

/**
 * What a provider answered an authorization: as {@link ProviderOutcome}, except that a held
 * amount (SUCCEEDED) carries when the provider will release it by itself.
 */
export type ProviderAuthorizationOutcome =
  | Exclude<ProviderOutcome, { readonly status: "SUCCEEDED" }>
  | { readonly status: "SUCCEEDED"; readonly reference: string; readonly expiresAt: Date };

/** An authorization answer in which the provider acted or decided. */
export type ProviderAuthorizationDecision = Exclude<
  ProviderAuthorizationOutcome,
  { readonly status: "UNAVAILABLE" }
>;

/**
 * What a provider answered a void. A void is never declined: a provider releases a hold it
 * still has, and one it no longer has is released already.
 */
export type ProviderVoidOutcome = Exclude<ProviderOutcome, { readonly status: "FAILED" }>;
