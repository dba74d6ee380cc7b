import { toJsonString } from "@bufbuild/protobuf";
import { EventSchema } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { Clock, Logger } from "@kassa/platform";
import { eventIdHeader, signatureHeader, signWebhookPayload } from "@kassa/webhooks";
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
} from "cockatiel";
import { eventRepository } from "../db/event-repository.js";
import type { GatewayDatabase } from "../db/gateway-database.js";
import type { EventRow, WebhookDeliveryRow, WebhookEndpointRow } from "../db/schema.js";
import {
  type AttemptOutcome,
  webhookDeliveryRepository,
} from "../db/webhook-delivery-repository.js";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayMetrics } from "../gateway-metrics.js";
import { eventMessage } from "../webhook-message.js";
import { createWorkerPause } from "../worker-pause.js";
import type { WebhookSecretBox } from "./webhook-secret-box.js";
import type { WebhookResponse, WebhookSender } from "./webhook-sender.js";

/** Options for {@link startWebhookRelay}. */
export interface WebhookRelayOptions {
  db: GatewayDatabase;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  secretBox: WebhookSecretBox;
  sender: WebhookSender;
  pollIntervalMs: number;
  /** Deliveries sent at once, over all endpoints. */
  maxInFlight: number;
  /** Deliveries sent at once to one endpoint. */
  endpointConcurrency: number;
  /** How long a claimed delivery is hidden from other relays; kept above the send timeout. */
  leaseMs: number;
  maxAttempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** An endpoint failing (no 2xx) for this long is disabled. */
  disableAfterMs: number;
  /** Consecutive failures to one host that open its breaker. */
  breakerFailures: number;
  breakerHalfOpenAfterMs: number;
  /** Stops the relay; deliveries in flight are cut short and left to their lease. */
  signal: AbortSignal;
  /** Where jitter comes from; tests may fix it. */
  random?: () => number;
}

/** A running webhook relay. */
export interface WebhookRelay {
  /** Looks for due deliveries now instead of at the next poll. */
  wake(): void;
  /** Resolves once the relay and its deliveries in flight have stopped. */
  readonly stopped: Promise<void>;
}

/**
 * Delivers webhook events. Each round claims due deliveries endpoint by endpoint (FOR UPDATE
 * SKIP LOCKED plus a lease, so replicas share the work and a gateway killed mid-delivery loses
 * nothing: the lease lapses and any relay sends it again) and sends each as its own task, not
 * waited for by the round: a receiver that hangs holds only its endpoint's slots
 * (`endpointConcurrency`) until the timeout, and a circuit breaker per host makes a host that
 * keeps failing fail fast. Every attempt is recorded; a failed one is retried with exponential
 * backoff and ±20% jitter, and after `maxAttempts` the delivery is kept FAILED. An endpoint
 * whose attempts have all failed for `disableAfterMs` is disabled with the reason.
 */
export function startWebhookRelay(options: WebhookRelayOptions): WebhookRelay {
  const { db, clock, logger, metrics, signal } = options;
  const random = options.random ?? Math.random;
  const between = createWorkerPause(signal);
  const inFlight = new Map<string, number>();
  const sending = new Set<Promise<void>>();
  const breakers = new Map<string, CircuitBreakerPolicy>();

  const breakerOf = (host: string) => {
    let breaker = breakers.get(host);
    if (!breaker) {
      breaker = circuitBreaker(handleAll, {
        halfOpenAfter: options.breakerHalfOpenAfterMs,
        breaker: new ConsecutiveBreaker(options.breakerFailures),
      });
      breaker.onStateChange((state) => logger.warn({ host, state }, "webhook host breaker"));
      breakers.set(host, breaker);
    }
    return breaker;
  };

  const retryDelayMs = (attempts: number) => {
    const exponential = Math.min(
      options.backoffMaxMs,
      options.backoffInitialMs * 2 ** (attempts - 1),
    );
    return Math.round(exponential * (0.8 + random() * 0.4));
  };

  /** The secrets that sign now: the current one, and the previous one during its grace period. */
  const secretsOf = (endpoint: WebhookEndpointRow, now: Date) => {
    const secrets = [options.secretBox.open(endpoint.secretCiphertext, endpoint.id)];
    const previous = endpoint.previousSecretCiphertext;
    if (previous && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
      secrets.push(options.secretBox.open(previous, endpoint.id));
    }
    return secrets;
  };

  /** One attempt, through the host's breaker: a failed answer counts against the host. */
  const post = async (endpoint: WebhookEndpointRow, event: EventRow): Promise<WebhookResponse> => {
    const now = clock.now();
    const body = toJsonString(EventSchema, eventMessage(event));
    let secrets: string[];
    try {
      secrets = secretsOf(endpoint, now);
    } catch {
      // A failed attempt like any other, so it is recorded and retried rather than stuck.
      return {
        error: "not sent: the signing secret cannot be decrypted (was WEBHOOK_SECRET_KEY changed?)",
        latencyMs: 0,
      };
    }
    const headers = {
      [signatureHeader]: signWebhookPayload(body, {
        secrets,
        timestamp: Math.floor(now.getTime() / 1000),
      }),
      [eventIdHeader]: event.id,
    };
    const host = new URL(endpoint.url).host;
    try {
      return await breakerOf(host).execute(async () => {
        const response = await options.sender.send(endpoint.url, body, headers, signal);
        if (!succeeded(response)) throw new FailedAttempt(response);
        return response;
      });
    } catch (error) {
      if (error instanceof FailedAttempt) return error.response;
      if (error instanceof BrokenCircuitError) {
        return { error: `not sent: circuit open for ${host} (it kept failing)`, latencyMs: 0 };
      }
      throw error;
    }
  };

  const deliver = async (
    delivery: WebhookDeliveryRow,
    event: EventRow,
    endpoint: WebhookEndpointRow,
  ) => {
    const attemptedAt = clock.now();
    const response = await post(endpoint, event);
    // Cut short by shutdown: not an attempt. The lease brings it back to the next relay.
    if (signal.aborted && !succeeded(response)) return;
    const attempts = delivery.attempts + 1;
    const outcome: AttemptOutcome = succeeded(response)
      ? { kind: "delivered" }
      : attempts >= options.maxAttempts
        ? { kind: "failed" }
        : { kind: "retry", at: new Date(clock.now().getTime() + retryDelayMs(attempts)) };
    const problem = response.error ?? `HTTP ${response.statusCode}`;
    const { disabled } = await webhookDeliveryRepository.recordAttempt(
      db,
      delivery,
      { ...response, attemptedAt },
      outcome,
      {
        before: new Date(clock.now().getTime() - options.disableAfterMs),
        reason: `every delivery failed for ${Math.round(options.disableAfterMs / 3_600_000)} h; last: ${problem}`,
      },
    );
    metrics.webhookDeliveries.inc({ result: outcome.kind });
    metrics.webhookAttemptSeconds.observe(
      { result: succeeded(response) ? "success" : "failure" },
      response.latencyMs / 1000,
    );
    const line = { delivery: delivery.id, event: event.id, endpoint: endpoint.id, attempts };
    if (outcome.kind === "failed") {
      logger.warn({ ...line, err: problem }, "webhook delivery failed for good; kept FAILED");
    } else if (outcome.kind === "retry") {
      logger.info(
        { ...line, err: problem, retryAt: outcome.at },
        "webhook attempt failed; will retry",
      );
    }
    if (disabled)
      logger.warn({ endpoint: endpoint.id }, "webhook endpoint disabled: it kept failing");
  };

  const start = (delivery: WebhookDeliveryRow, event: EventRow, endpoint: WebhookEndpointRow) => {
    inFlight.set(delivery.endpointId, (inFlight.get(delivery.endpointId) ?? 0) + 1);
    const task = deliver(delivery, event, endpoint)
      .catch((error: unknown) =>
        logger.error({ err: error, delivery: delivery.id }, "webhook delivery errored"),
      )
      .finally(() => {
        const left = (inFlight.get(delivery.endpointId) ?? 1) - 1;
        if (left > 0) inFlight.set(delivery.endpointId, left);
        else inFlight.delete(delivery.endpointId);
        sending.delete(task);
        // A slot is free: more may be waiting.
        between.wake();
      });
    sending.add(task);
  };

  // The backlog gauges are refreshed at most once a second.
  let backlogRefreshedAt = 0;
  const refreshBacklog = async () => {
    if (performance.now() - backlogRefreshedAt < 1000) return;
    backlogRefreshedAt = performance.now();
    const backlog = await webhookDeliveryRepository.backlog(db);
    metrics.webhookBacklog.reset();
    metrics.webhookOldestAge.reset();
    const now = clock.now().getTime();
    for (const endpoint of backlog.endpoints) {
      metrics.webhookBacklog.set({ endpoint: endpoint.endpointId }, endpoint.pending);
      metrics.webhookOldestAge.set(
        { endpoint: endpoint.endpointId },
        Math.max(0, (now - endpoint.oldestPendingAt.getTime()) / 1000),
      );
    }
    metrics.webhookFailed.set(backlog.failed);
  };

  const round = async () => {
    const room = options.maxInFlight - sending.size;
    if (room <= 0) return;
    const claimed = await webhookDeliveryRepository.claimDue(db, clock.now(), {
      limit: room,
      perEndpoint: options.endpointConcurrency,
      leaseMs: options.leaseMs,
      inFlight,
    });
    if (claimed.length === 0) return;
    const eventIds = [...new Set(claimed.map((delivery) => delivery.eventId))];
    const endpointIds = [...new Set(claimed.map((delivery) => delivery.endpointId))];
    const [eventRows, endpointRows] = await Promise.all([
      eventRepository.byIds(db, eventIds),
      webhookEndpointRepository.byIds(db, endpointIds),
    ]);
    const eventsById = new Map(eventRows.map((row) => [row.id, row]));
    const endpointsById = new Map(endpointRows.map((row) => [row.id, row]));
    for (const delivery of claimed) {
      const event = eventsById.get(delivery.eventId);
      const endpoint = endpointsById.get(delivery.endpointId);
      if (event && endpoint) start(delivery, event, endpoint);
    }
  };

  const run = async () => {
    while (!signal.aborted) {
      try {
        await round();
        await refreshBacklog();
      } catch (error) {
        logger.error({ err: error }, "webhook relay round failed");
      }
      await between.pause(options.pollIntervalMs);
    }
    await Promise.allSettled(sending);
  };

  return { wake: between.wake, stopped: run() };
}

function succeeded(response: WebhookResponse): boolean {
  return (
    response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300
  );
}

/** A non-2xx answer (or none), thrown only so the host's breaker counts it. */
class FailedAttempt extends Error {
  constructor(readonly response: WebhookResponse) {
    super(response.error ?? `HTTP ${response.statusCode}`);
  }
}
