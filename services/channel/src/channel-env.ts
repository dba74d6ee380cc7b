import { envFields, Secret } from "@kassa/platform";
import { sandboxDevelopmentWebhookSecret } from "./providers/sandbox-notification.js";

/** The channel service's own environment variables: the sandbox's knobs, all off by default. */
export const channelEnv = {
  /** Milliseconds added to every sandbox call, like a provider's round trip. Default 0. */
  SANDBOX_LATENCY_MS: envFields.durationMs(0),
  /**
   * Probability (0..1) that a sandbox charge or authorization is refused as UNAVAILABLE before
   * anything is charged or held, for chaos runs. Default 0.
   */
  SANDBOX_FAILURE_RATE: envFields.ratio(0),
  /**
   * How long `tok_timeout` holds its answer when the caller set no deadline (with one, the
   * answer is held until just after it). Default 30 000 ms.
   */
  SANDBOX_TIMEOUT_HOLD_MS: envFields.durationMs(30_000),
  /**
   * How long a sandbox authorization holds its amount before it expires, when it was neither
   * captured nor voided. Default 604 800 000 ms (7 days), as card networks commonly allow.
   */
  SANDBOX_AUTHORIZATION_TTL_MS: envFields.durationMs(7 * 24 * 60 * 60 * 1000),
  /**
   * How long after a `tok_pendingThenSucceeds` / `tok_pendingThenDeclined` charge the sandbox
   * decides it and sends its signed notification to `/webhooks/sandbox`. Default 3000 ms.
   */
  SANDBOX_NOTIFICATION_DELAY_MS: envFields.durationMs(3000),
  /**
   * The secret (at least 32 characters) sandbox notifications are signed and verified with.
   * Default a public development secret: set your own on any shared deployment.
   */
  SANDBOX_WEBHOOK_SECRET: envFields
    .secret()
    .default(new Secret(sandboxDevelopmentWebhookSecret, "sandbox webhook secret")),
  /**
   * Where the sandbox sends its notifications. Default the channel's own
   * `/webhooks/sandbox` on this machine; set it when the route is reached another way (a
   * proxy in front of the channel).
   */
  SANDBOX_NOTIFICATION_URL: envFields.url(["http:", "https:"]).optional(),
  /**
   * The longest any provider call may take, whatever the caller's deadline. Default 60 000 ms.
   */
  PROVIDER_CALL_TIMEOUT_MS: envFields.durationMs(60_000),
  /**
   * How old a PENDING charge or refund the provider has no record of must be before it counts
   * as abandoned (its process died between claiming and calling) and is released, so the
   * reconciler gets a definite "nothing happened". Must exceed PROVIDER_CALL_TIMEOUT_MS.
   * Default 300 000 ms.
   */
  CHANNEL_CLAIM_TIMEOUT_MS: envFields.durationMs(300_000),
};
