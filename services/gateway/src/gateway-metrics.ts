import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The gateway's own metrics, on the service's registry (`/metrics`). */
export interface GatewayMetrics {
  /** Payments reaching a status, by status, channel and currency. */
  readonly payments: Counter<"status" | "channel" | "currency">;
  /** Refunds reaching a status, by status and currency. */
  readonly refunds: Counter<"status" | "currency">;
  /** Time spent in each saga step (persist, risk, order, charge, refund, finish), in seconds. */
  readonly sagaStep: Histogram<"step">;
  /** Outbox events waiting for delivery. */
  readonly outboxBacklog: Gauge;
  /** Age in seconds of the oldest undelivered outbox event (0 when none waits). */
  readonly outboxOldestAge: Gauge;
  /** Outbox events that used up their attempts (kept; an operator must look). */
  readonly outboxExhausted: Gauge;
  /** Outbox deliveries, by event kind and result (`delivered`, `retry`, `postponed`, `exhausted`). */
  readonly outboxDeliveries: Counter<"kind" | "result">;
  /** Webhook delivery attempts by what became of the delivery (`delivered`, `retry`, `failed`). */
  readonly webhookDeliveries: Counter<"result">;
  /** How long webhook receivers took to answer (or to fail), in seconds, by `success`/`failure`. */
  readonly webhookAttemptSeconds: Histogram<"result">;
  /** Webhook deliveries waiting, per endpoint (`we_…`; endpoints with none are not listed). */
  readonly webhookBacklog: Gauge<"endpoint">;
  /** Age in seconds of each endpoint's oldest undelivered webhook delivery. */
  readonly webhookOldestAge: Gauge<"endpoint">;
  /** Webhook deliveries that used up their attempts (kept FAILED; RedeliverEvent sends them again). */
  readonly webhookFailed: Gauge;
}

/** Registers the gateway's metrics on a service registry. */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    payments: new Counter({
      name: "kassa_payments_total",
      help: "Payments reaching a status, by status, channel and currency.",
      labelNames: ["status", "channel", "currency"],
      registers,
    }),
    refunds: new Counter({
      name: "kassa_refunds_total",
      help: "Refunds reaching a status, by status and currency.",
      labelNames: ["status", "currency"],
      registers,
    }),
    sagaStep: new Histogram({
      name: "kassa_saga_step_seconds",
      help: "Time spent in each saga step.",
      labelNames: ["step"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    outboxBacklog: new Gauge({
      name: "kassa_outbox_backlog",
      help: "Outbox events waiting for delivery.",
      registers,
    }),
    outboxOldestAge: new Gauge({
      name: "kassa_outbox_oldest_age_seconds",
      help: "Age of the oldest undelivered outbox event, in seconds.",
      registers,
    }),
    outboxExhausted: new Gauge({
      name: "kassa_outbox_exhausted",
      help: "Outbox events that used up their attempts and wait for an operator.",
      registers,
    }),
    outboxDeliveries: new Counter({
      name: "kassa_outbox_deliveries_total",
      help: "Outbox delivery attempts by event kind and result.",
      labelNames: ["kind", "result"],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: "kassa_webhook_deliveries_total",
      help: "Webhook delivery attempts by what became of the delivery.",
      labelNames: ["result"],
      registers,
    }),
    webhookAttemptSeconds: new Histogram({
      name: "kassa_webhook_attempt_seconds",
      help: "How long webhook receivers took to answer, or to fail.",
      labelNames: ["result"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    webhookBacklog: new Gauge({
      name: "kassa_webhook_backlog",
      help: "Webhook deliveries waiting, per endpoint.",
      labelNames: ["endpoint"],
      registers,
    }),
    webhookOldestAge: new Gauge({
      name: "kassa_webhook_oldest_age_seconds",
      help: "Age of each endpoint's oldest undelivered webhook delivery, in seconds.",
      labelNames: ["endpoint"],
      registers,
    }),
    webhookFailed: new Gauge({
      name: "kassa_webhook_failed",
      help: "Webhook deliveries that used up their attempts and are kept FAILED.",
      registers,
    }),
  };
}
