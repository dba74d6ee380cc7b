import { envFields } from "@kassa/platform";

/** The gateway's own environment variables, each with its default. */
export const gatewayEnv = {
  /** Requests one merchant may make per minute before RESOURCE_EXHAUSTED. Default 100. */
  GATEWAY_RATE_LIMIT_PER_MINUTE: envFields.positiveInt(100),
  /**
   * How long an authenticated API key is cached in Redis. Revocation and suspension evict it at
   * once where merchant and gateway share a Redis; this bounds staleness where they do not.
   * Default 30 000 ms.
   */
  GATEWAY_AUTH_CACHE_TTL_MS: envFields.durationMs(30_000),
  /** How often the outbox relay looks for due events (it is also woken on every commit). Default 500 ms. */
  OUTBOX_POLL_INTERVAL_MS: envFields.durationMs(500),
  /** Events the relay claims per round. Default 50. */
  OUTBOX_BATCH_SIZE: envFields.positiveInt(50),
  /** Attempts before an event is EXHAUSTED (kept, counted, health degraded). Default 25. */
  OUTBOX_MAX_ATTEMPTS: envFields.positiveInt(25),
  /** First retry delay; later ones double, with jitter, up to OUTBOX_BACKOFF_MAX_MS. Default 500 ms. */
  OUTBOX_BACKOFF_INITIAL_MS: envFields.durationMs(500),
  /** Longest retry delay. Default 60 000 ms. */
  OUTBOX_BACKOFF_MAX_MS: envFields.durationMs(60_000),
  /**
   * How long a claimed event is hidden from other relays while it is being delivered; a relay
   * that dies mid-delivery lets it come back after this. Default 30 000 ms.
   */
  OUTBOX_LEASE_MS: envFields.durationMs(30_000),
  /** How often the reconciler runs (it also runs at start). Default 10 000 ms. */
  RECONCILE_INTERVAL_MS: envFields.durationMs(10_000),
  /**
   * A payment PROCESSING or a refund PENDING for longer than this is reconciled with the
   * channel. Default 30 000 ms (well past any charge's deadline).
   */
  RECONCILE_AFTER_MS: envFields.durationMs(30_000),
  /**
   * A payment still PENDING (never sent to the channel) for longer than this was abandoned by
   * a gateway that died mid-saga, and is failed. Default 300 000 ms.
   */
  RECONCILE_PENDING_AFTER_MS: envFields.durationMs(300_000),
  /**
   * A manual-capture payment left REQUIRES_CAPTURE for longer than this has its authorization
   * voided by the reconciler and is CANCELLED with reason `expired`, before the provider's own
   * hold lapses. Default 604 800 000 ms (7 days).
   */
  CAPTURE_EXPIRY_MS: envFields.durationMs(7 * 24 * 60 * 60 * 1000),
};
