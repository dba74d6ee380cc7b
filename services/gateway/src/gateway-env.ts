import { envFields } from "@kassa/platform";

/** The gateway's own environment variables, each with its default. */
export const gatewayEnv = {
  /** Requests one merchant may make per clock minute before RESOURCE_EXHAUSTED. Default 100. */
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
  /**
   * The key webhook signing secrets are encrypted with (AES-256-GCM): 32 bytes as 64 hex
   * characters or base64. Required on a real database; only the embedded development setup
   * (`kassa start` without DATABASE_URL) falls back to a fixed, public development key. Changing it makes existing endpoints'
   * secrets unreadable (roll them). Never logged.
   */
  WEBHOOK_SECRET_KEY: envFields.secret().optional(),
  /**
   * `true` lets webhook URLs point at loopback and private addresses (development only);
   * otherwise they are refused at registration and at every delivery. Default false.
   */
  WEBHOOK_ALLOW_PRIVATE_URLS: envFields.flag(false),
  /** How long a webhook receiver has to answer 2xx (connect, send and answer). Default 10 000 ms. */
  WEBHOOK_TIMEOUT_MS: envFields.durationMs(10_000),
  /** Attempts of one delivery before it is kept FAILED. Default 16 (about 3 days with the backoff below). */
  WEBHOOK_MAX_ATTEMPTS: envFields.positiveInt(16),
  /** First retry delay; later ones double, ±20% jitter, up to WEBHOOK_BACKOFF_MAX_MS. Default 60 000 ms. */
  WEBHOOK_BACKOFF_INITIAL_MS: envFields.durationMs(60_000),
  /** Longest retry delay. Default 36 000 000 ms (10 h). */
  WEBHOOK_BACKOFF_MAX_MS: envFields.durationMs(36_000_000),
  /** How often the webhook relay looks for due deliveries. Default 1000 ms. */
  WEBHOOK_POLL_INTERVAL_MS: envFields.durationMs(1000),
  /** Deliveries one gateway sends at once, over all endpoints. Default 50. */
  WEBHOOK_MAX_IN_FLIGHT: envFields.positiveInt(50),
  /** Deliveries one gateway sends at once to one endpoint, so a slow one holds only its own. Default 4. */
  WEBHOOK_ENDPOINT_CONCURRENCY: envFields.positiveInt(4),
  /**
   * How long a claimed delivery is hidden from other relays; one that dies mid-delivery lets it
   * come back after this. Kept above WEBHOOK_TIMEOUT_MS. Default 60 000 ms.
   */
  WEBHOOK_LEASE_MS: envFields.durationMs(60_000),
  /**
   * An endpoint whose every attempt has failed for this long (no 2xx since) is disabled, with
   * the reason on the endpoint. Default 259 200 000 ms (3 days).
   */
  WEBHOOK_DISABLE_AFTER_MS: envFields.durationMs(3 * 24 * 60 * 60 * 1000),
  /** Consecutive failed attempts to one host that open its circuit breaker. Default 5. */
  WEBHOOK_BREAKER_FAILURES: envFields.positiveInt(5),
  /** How long an open host breaker fails attempts without sending before it tries one. Default 30 000 ms. */
  WEBHOOK_BREAKER_HALF_OPEN_AFTER_MS: envFields.durationMs(30_000),
};
