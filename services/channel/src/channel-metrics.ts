import { Counter, type Registry } from "prom-client";

/** What a provider notification came to, as counted. */
export type NotificationResult =
  /** Verified and new: it settled a PENDING charge or refund. */
  | "applied"
  /** Verified and new, but what it concerns was settled already (or is unknown here). */
  | "ignored"
  /** Its event id was seen before: nothing changed. */
  | "duplicate"
  /** Not authentic, or not understood: nothing changed. */
  | "rejected"
  /** It could not be written; the provider is told to resend (5xx). */
  | "failed";

/** The channel service's own metrics, on the service's registry (`/metrics`). */
export interface ChannelMetrics {
  /** Provider notifications received, by channel and result. */
  readonly notifications: Counter<"channel" | "result">;
}

/** Registers the channel's metrics on a service registry. */
export function createChannelMetrics(registry: Registry): ChannelMetrics {
  return {
    notifications: new Counter({
      name: "kassa_provider_notifications_total",
      help: "Provider notifications received, by channel and result (applied, ignored, duplicate, rejected, failed).",
      labelNames: ["channel", "result"],
      registers: [registry],
    }),
  };
}
