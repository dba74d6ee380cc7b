import { type Clock, createId, Secret } from "@kassa/platform";
import type { ChannelDatabase } from "../db/channel-database.js";
import { sandboxRepository } from "../db/sandbox-repository.js";
import type { SandboxAuthorizationRow, SandboxChargeRow, SandboxRefundRow } from "../db/schema.js";
import type {
  Provider,
  ProviderAuthorizationOutcome,
  ProviderDecision,
  ProviderOutcome,
  ProviderVoidOutcome,
} from "./provider.js";
import {
  sandboxDevelopmentWebhookSecret,
  verifySandboxNotification,
} from "./sandbox-notification.js";

/** Options for {@link createSandboxProvider}. */
export interface SandboxProviderOptions {
  /** Where the sandbox keeps its ledger (the channel schema's `sandbox_*` tables). */
  readonly db: ChannelDatabase;
  readonly clock: Clock;
  /** Added to every call, like a network round trip (`SANDBOX_LATENCY_MS`). Default 0. */
  readonly latencyMs?: number;
  /**
   * Probability (0..1) that a charge or authorization is refused as UNAVAILABLE before
   * anything is charged or held (`SANDBOX_FAILURE_RATE`). Default 0: chaos is opt-in.
   */
  readonly failureRate?: number;
  /**
   * How long `tok_timeout` holds its answer when the caller set no deadline
   * (`SANDBOX_TIMEOUT_HOLD_MS`). Default 30 000 ms, longer than any sensible client timeout.
   */
  readonly timeoutHoldMs?: number;
  /**
   * How long an authorization holds its amount before the sandbox releases it by itself
   * (`SANDBOX_AUTHORIZATION_TTL_MS`). Default 7 days, as card networks commonly allow.
   */
  readonly authorizationTtlMs?: number;
  /**
   * How long after a `tok_pendingThen…` charge its notification is due, deciding it
   * (`SANDBOX_NOTIFICATION_DELAY_MS`). Default 3000 ms.
   */
  readonly notificationDelayMs?: number;
  /**
   * The secret its notifications are signed with (`SANDBOX_WEBHOOK_SECRET`). Default the
   * public development secret.
   */
  readonly webhookSecret?: Secret;
  /**
   * Told that a notification falls due in `inMs`, so the notifier that sends them need not
   * wait for its next poll. Default: nobody is told.
   */
  readonly onNotificationDue?: (inMs: number) => void;
  /** Chaos draws in [0, 1). Default `Math.random`; tests pass a fixed sequence. */
  readonly random?: () => number;
  /**
   * How the sandbox waits: resolves after `ms` (never, when undefined) or as soon as `signal`
   * aborts, whichever is first; never rejects. Default a timer; tests pass a fake network.
   */
  readonly wait?: (ms: number | undefined, signal?: AbortSignal) => Promise<void>;
}

/** The sandbox's ISO 4217 codes: majors plus zero-decimal (JPY, KRW) and three-decimal (BHD, KWD) ones. */
const sandboxCurrencies = [
  "AUD",
  "BHD",
  "BRL",
  "CAD",
  "CHF",
  "CNY",
  "CZK",
  "DKK",
  "EUR",
  "GBP",
  "HKD",
  "INR",
  "JPY",
  "KRW",
  "KWD",
  "MXN",
  "NOK",
  "NZD",
  "PLN",
  "SEK",
  "SGD",
  "USD",
  "ZAR",
] as const;

/** What the sandbox does for a payment method token. */
type TokenBehaviour =
  | { readonly kind: "unavailable" }
  | {
      readonly kind: "decide";
      readonly decline?: { readonly code: string; readonly message: string };
      /** Record the charge, then hold the answer until the caller's deadline has passed. */
      readonly holdsAnswer?: boolean;
      readonly declinesRefunds?: boolean;
      readonly declinesCapture?: boolean;
      /** Authorize; on capture, record it, then hold the answer as `holdsAnswer` does. */
      readonly holdsCaptureAnswer?: boolean;
      /**
       * Answer the charge PENDING; decide it (`decline` or success) when its notification
       * is due, and say so in that notification.
       */
      readonly notifiesLater?: boolean;
    };

/** What a deciding token decides: its decline, else success. */
function decisionBy(behaviour: Extract<TokenBehaviour, { kind: "decide" }>) {
  return {
    outcome: behaviour.decline ? ("FAILED" as const) : ("SUCCEEDED" as const),
    failureCode: behaviour.decline?.code ?? null,
    failureMessage: behaviour.decline?.message ?? null,
  };
}

// Stripe-style test tokens, as DESIGN.md lists them.
const tokens: Readonly<Record<string, TokenBehaviour>> = {
  tok_visa: { kind: "decide" },
  tok_mastercard: { kind: "decide" },
  tok_chargeDeclined: {
    kind: "decide",
    decline: { code: "card_declined", message: "The card was declined." },
  },
  tok_insufficientFunds: {
    kind: "decide",
    decline: { code: "insufficient_funds", message: "The card has insufficient funds." },
  },
  tok_timeout: { kind: "decide", holdsAnswer: true },
  tok_unavailable: { kind: "unavailable" },
  tok_refundFails: { kind: "decide", declinesRefunds: true },
  tok_captureDeclined: { kind: "decide", declinesCapture: true },
  tok_captureTimeout: { kind: "decide", holdsCaptureAnswer: true },
  tok_pendingThenSucceeds: { kind: "decide", notifiesLater: true },
  tok_pendingThenDeclined: {
    kind: "decide",
    notifiesLater: true,
    decline: { code: "card_declined", message: "The card was declined." },
  },
};

// The message never repeats the token: payment methods stay out of messages and logs.
const unknownToken: TokenBehaviour = {
  kind: "decide",
  decline: {
    code: "invalid_payment_method",
    message: "The payment method is not a sandbox test token.",
  },
};

const refundDecline = { code: "refund_declined", message: "The card issuer declined the refund." };
const captureDecline = {
  code: "capture_declined",
  message: "The card issuer declined the capture; the hold was released.",
};
const expiredDecline = {
  code: "authorization_expired",
  message: "The authorization expired before it was captured.",
};

/** Seven days: how long card networks commonly let an authorization hold its amount. */
const defaultAuthorizationTtlMs = 7 * 24 * 60 * 60 * 1000;

/**
 * The built-in `sandbox` channel: deterministic by payment method token, persisted in its own
 * ledger like a real provider, so a charge whose answer was lost (`tok_timeout`) is found again
 * by `getCharge` (and a capture whose answer was lost, `tok_captureTimeout`, by `getCapture`).
 * Authorizations expire `authorizationTtlMs` after they are made. `tok_pendingThen…` charges
 * answer PENDING and are decided by a signed notification `notificationDelayMs` later (sent by
 * the sandbox notifier). Latency and a random failure rate can be switched on for load and
 * chaos runs.
 */
export function createSandboxProvider(options: SandboxProviderOptions): Provider {
  const { db, clock } = options;
  const latencyMs = options.latencyMs ?? 0;
  const failureRate = options.failureRate ?? 0;
  const timeoutHoldMs = options.timeoutHoldMs ?? 30_000;
  const random = options.random ?? Math.random;
  const wait = options.wait ?? waitOrAbort;
  const authorizationTtlMs = options.authorizationTtlMs ?? defaultAuthorizationTtlMs;
  const notificationDelayMs = options.notificationDelayMs ?? 3000;
  const webhookSecret =
    options.webhookSecret ?? new Secret(sandboxDevelopmentWebhookSecret, "sandbox webhook secret");

  // Answer only once the caller has stopped listening. With a deadline the signal fires at it;
  // without one, the hold bounds how long the call stays open.
  const holdAnswer = (call: { signal: AbortSignal; deadlineMs: number | undefined }) =>
    wait(call.deadlineMs === undefined ? timeoutHoldMs : undefined, call.signal);

  // The service captures or voids only authorizations this sandbox granted; anything else is a
  // bug upstream, and an exception leaves the service's record pending rather than inventing
  // an outcome.
  const grantedAuthorization = async (id: string): Promise<SandboxAuthorizationRow> => {
    const authorization = await sandboxRepository.findAuthorization(db, id);
    if (authorization?.outcome !== "SUCCEEDED") {
      throw new Error(`sandbox has no granted authorization ${id}`);
    }
    return authorization;
  };

  // The round trip to the "provider": a caller that went away during it never reached it.
  // Without latency there is no trip, so every call arrives, however late its caller is.
  const travel = async (signal?: AbortSignal): Promise<boolean> => {
    if (latencyMs === 0) return true;
    await wait(latencyMs, signal);
    return !signal?.aborted;
  };

  // An asynchronous charge: PENDING now, decided by the notification that falls due later.
  const pendingCharge = async (
    request: Parameters<Provider["charge"]>[0],
    behaviour: Extract<TokenBehaviour, { kind: "decide" }>,
  ): Promise<ProviderOutcome> => {
    const now = clock.now();
    const { charge, recorded } = await sandboxRepository.recordPendingCharge(
      db,
      {
        id: request.chargeId,
        amount: request.amount,
        currency: request.currency,
        outcome: "PENDING",
        failureCode: null,
        failureMessage: null,
        declinesRefunds: false,
        createdAt: now,
      },
      {
        id: createId("evt"),
        kind: "charge",
        subjectId: request.chargeId,
        ...decisionBy(behaviour),
        nextAttemptAt: new Date(now.getTime() + notificationDelayMs),
        createdAt: now,
      },
    );
    if (recorded) options.onNotificationDue?.(notificationDelayMs);
    return outcomeOf(charge);
  };

  return {
    name: "sandbox",
    displayName: "Sandbox (test)",
    currencies: sandboxCurrencies,
    testMode: true,

    async charge(request, call, settle) {
      if (!(await travel(call.signal))) return unavailable("the caller went away first");
      if (failureRate > 0 && random() < failureRate) return unavailable("a simulated outage");
      const behaviour = tokens[request.paymentMethod.reveal()] ?? unknownToken;
      if (behaviour.kind === "unavailable") return unavailable("a simulated outage");
      if (behaviour.notifiesLater) return pendingCharge(request, behaviour);
      const record: SandboxChargeRow = {
        id: request.chargeId,
        amount: request.amount,
        currency: request.currency,
        ...decisionBy(behaviour),
        declinesRefunds: behaviour.declinesRefunds ?? false,
        createdAt: clock.now(),
      };
      // The service's record of the decision commits with the sandbox's own.
      const charge = await sandboxRepository.recordCharge(
        db,
        record,
        settle && {
          inStatement: (on, recorded) => settle.inStatement(on, decisionOf(record), recorded),
          inTransaction: (tx, found) => settle.inTransaction(tx, decisionOf(found)),
        },
      );
      if (behaviour.holdsAnswer) await holdAnswer(call);
      return outcomeOf(charge);
    },

    async getCharge(chargeId) {
      await travel();
      const charge = await sandboxRepository.findCharge(db, chargeId);
      return charge && outcomeOf(charge);
    },

    async refund(request, call) {
      if (!(await travel(call.signal))) return unavailable("the caller went away first");
      const charge = await sandboxRepository.findCharge(db, request.chargeReference);
      // The service refunds only charges this sandbox made; anything else is a bug upstream,
      // and an exception leaves the refund PENDING rather than inventing an outcome.
      if (charge?.outcome !== "SUCCEEDED") {
        throw new Error(`sandbox has no succeeded charge ${request.chargeReference}`);
      }
      const refund = await sandboxRepository.recordRefund(db, {
        id: request.refundId,
        chargeId: charge.id,
        amount: request.amount,
        currency: request.currency,
        outcome: charge.declinesRefunds ? "FAILED" : "SUCCEEDED",
        failureCode: charge.declinesRefunds ? refundDecline.code : null,
        failureMessage: charge.declinesRefunds ? refundDecline.message : null,
        createdAt: clock.now(),
      });
      return outcomeOf(refund);
    },

    async getRefund(refundId) {
      await travel();
      const refund = await sandboxRepository.findRefund(db, refundId);
      return refund && outcomeOf(refund);
    },

    async authorize(request, call) {
      if (!(await travel(call.signal))) return unavailable("the caller went away first");
      if (failureRate > 0 && random() < failureRate) return unavailable("a simulated outage");
      const behaviour = tokens[request.paymentMethod.reveal()] ?? unknownToken;
      if (behaviour.kind === "unavailable") return unavailable("a simulated outage");
      const now = clock.now();
      const authorization = await sandboxRepository.recordAuthorization(db, {
        id: request.authorizationId,
        amount: request.amount,
        currency: request.currency,
        ...decisionBy(behaviour),
        declinesCapture: behaviour.declinesCapture ?? false,
        holdsCaptureAnswer: behaviour.holdsCaptureAnswer ?? false,
        expiresAt: new Date(now.getTime() + authorizationTtlMs),
        createdAt: now,
      });
      if (behaviour.holdsAnswer) await holdAnswer(call);
      return authorizationOutcomeOf(authorization);
    },

    async getAuthorization(authorizationId) {
      await travel();
      const authorization = await sandboxRepository.findAuthorization(db, authorizationId);
      return authorization && authorizationOutcomeOf(authorization);
    },

    async capture(request, call) {
      if (!(await travel(call.signal))) return unavailable("the caller went away first");
      const granted = await grantedAuthorization(request.authorizationReference);
      const now = clock.now();
      const decline =
        now >= granted.expiresAt
          ? expiredDecline
          : granted.declinesCapture
            ? captureDecline
            : undefined;
      const captured = await sandboxRepository.recordCapture(db, granted.id, {
        amount: request.amount,
        outcome: decline ? "FAILED" : "SUCCEEDED",
        failureCode: decline?.code ?? null,
        failureMessage: decline?.message ?? null,
        at: now,
      });
      const outcome = captured && captureOutcomeOf(captured);
      if (!outcome) throw new Error(`sandbox authorization ${granted.id} was voided, not captured`);
      if (granted.holdsCaptureAnswer) await holdAnswer(call);
      return outcome;
    },

    async getCapture(authorizationId) {
      await travel();
      const authorization = await sandboxRepository.findAuthorization(db, authorizationId);
      return authorization && captureOutcomeOf(authorization);
    },

    async void(request, call) {
      if (!(await travel(call.signal))) return unavailable("the caller went away first");
      const granted = await grantedAuthorization(request.authorizationReference);
      const voided = await sandboxRepository.recordVoid(db, granted.id, clock.now());
      const outcome = voided && voidOutcomeOf(voided);
      if (!outcome) throw new Error(`sandbox authorization ${granted.id} was captured, not voided`);
      return outcome;
    },

    async getVoid(authorizationId) {
      await travel();
      const authorization = await sandboxRepository.findAuthorization(db, authorizationId);
      return authorization && voidOutcomeOf(authorization);
    },

    verifyNotification(headers, rawBody) {
      return verifySandboxNotification(webhookSecret, headers, rawBody, clock.now());
    },
  };
}

function authorizationOutcomeOf(record: SandboxAuthorizationRow): ProviderAuthorizationOutcome {
  if (record.outcome === "SUCCEEDED") {
    return { status: "SUCCEEDED", reference: record.id, expiresAt: record.expiresAt };
  }
  return declineOf(record);
}

/** The capture of an authorization, or undefined when none was made. */
function captureOutcomeOf(record: SandboxAuthorizationRow): ProviderOutcome | undefined {
  if (record.captureOutcome === null) return undefined;
  return outcomeOf({
    id: record.id,
    outcome: record.captureOutcome,
    failureCode: record.captureFailureCode,
    failureMessage: record.captureFailureMessage,
  });
}

/** The void of an authorization, or undefined when none was made. */
function voidOutcomeOf(record: SandboxAuthorizationRow): ProviderVoidOutcome | undefined {
  return record.voidedAt === null ? undefined : { status: "SUCCEEDED", reference: record.id };
}

function unavailable(cause: string): Extract<ProviderOutcome, { status: "UNAVAILABLE" }> {
  return { status: "UNAVAILABLE", message: `sandbox unavailable: ${cause}` };
}

function outcomeOf(
  record: Pick<
    SandboxChargeRow | SandboxRefundRow,
    "id" | "outcome" | "failureCode" | "failureMessage"
  >,
): ProviderOutcome {
  if (record.outcome === "SUCCEEDED") return { status: "SUCCEEDED", reference: record.id };
  if (record.outcome === "PENDING") return { status: "PENDING", reference: record.id };
  return declineOf(record);
}

/** A recorded charge's decision (a recorded charge was reached, so never UNAVAILABLE). */
function decisionOf(record: SandboxChargeRow): ProviderDecision {
  const outcome = outcomeOf(record);
  if (outcome.status === "UNAVAILABLE") throw new Error(`sandbox charge ${record.id} unreached`);
  return outcome;
}

function declineOf(
  record: Pick<SandboxChargeRow, "id" | "failureCode" | "failureMessage">,
): Extract<ProviderOutcome, { status: "FAILED" }> {
  return {
    status: "FAILED",
    reference: record.id,
    failureCode: record.failureCode ?? "declined",
    failureMessage: record.failureMessage ?? "",
  };
}

function waitOrAbort(ms: number | undefined, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
