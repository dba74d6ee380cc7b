import type { Client } from "@connectrpc/connect";
import type { Clock, Logger, Tracing } from "@kassa/platform";
import type { ChannelCatalog } from "./channel-catalog.js";
import type { dependencies } from "./clients.js";
import type { GatewayDatabase } from "./db/gateway-database.js";
import type { OutboxRow } from "./db/schema.js";
import type { GatewayMetrics } from "./gateway-metrics.js";
import type { WebhookAddressPolicy } from "./webhooks/webhook-address-policy.js";
import type { WebhookSecretBox } from "./webhooks/webhook-secret-box.js";

/** What the gateway's operations, sagas and workers need. */
export interface GatewayContext {
  readonly db: GatewayDatabase;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The five services the gateway orchestrates, breaker-wrapped. */
  readonly clients: { readonly [K in keyof typeof dependencies]: Client<(typeof dependencies)[K]> };
  readonly metrics: GatewayMetrics;
  /** Spans of the sagas' steps and the workers' rounds. */
  readonly tracing: Tracing;
  /** Which channels and currencies exist, for validating a payment before anything is written. */
  readonly channels: ChannelCatalog;
  /**
   * The outbox as a saga's commit uses it: events are written held for `holdMs` (the relay's
   * lease), and handed to `deliver` once committed, which delivers them from this process at
   * once; a crash first leaves them to any relay once the hold lapses.
   */
  readonly outbox: {
    readonly holdMs: number;
    deliver(events: readonly OutboxRow[]): void;
  };
  /** What the webhook operations need. */
  readonly webhooks: {
    /** Seals and opens endpoints' signing secrets. */
    readonly secretBox: WebhookSecretBox;
    /** Which hosts a webhook URL may point at. */
    readonly addressPolicy: WebhookAddressPolicy;
    /** Tells the webhook relay that new deliveries were committed. */
    wake(): void;
  };
}
