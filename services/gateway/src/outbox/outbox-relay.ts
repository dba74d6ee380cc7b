import { Code, ConnectError } from "@connectrpc/connect";
import {
  type Clock,
  type DependencyHealth,
  isCircuitOpenError,
  type Logger,
  linksTo,
  type Tracing,
} from "@kassa/platform";
import type { GatewayDatabase } from "../db/gateway-database.js";
import { outboxRepository } from "../db/outbox-repository.js";
import type { OutboxRow } from "../db/schema.js";
import type { GatewayMetrics } from "../gateway-metrics.js";
import { createWorkerPause } from "../worker-pause.js";
import { createOutboxBatcher } from "./outbox-batcher.js";
import { type OutboxTargets, outboxKindsByTarget } from "./outbox-events.js";

/** Options for {@link startOutboxRelay}. */
export interface OutboxRelayOptions {
  db: GatewayDatabase;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  tracing: Tracing;
  targets: OutboxTargets;
  /**
   * Each target's own readiness: events for a target that is not serving wait (no attempt
   * spent, its breaker untouched) and go out as soon as it says SERVING.
   */
  targetHealth: Readonly<Record<keyof OutboxTargets, DependencyHealth>>;
  pollIntervalMs: number;
  batchSize: number;
  maxAttempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  leaseMs: number;
  /**
   * At most how long a delivered event waits to be marked DELIVERED with others (in the next
   * round's claim transaction). Default 1000 ms, or the poll interval when that is shorter:
   * well inside the lease, so no other relay sends it again meanwhile.
   */
  markWithinMs?: number;
  /** Stops the relay after its current round. */
  signal: AbortSignal;
  /** Where jitter comes from; tests may fix it. */
  random?: () => number;
}

/** A running relay. */
export interface OutboxRelay {
  /** Looks for due events now instead of at the next poll. */
  wake(): void;
  /**
   * Delivers events this process has just committed, held (see `outboxRepository.enqueue`)
   * for `leaseMs`, at once and without claiming them: the hold is their lease. Not awaited by
   * the caller; a delivery that fails is rescheduled as a claimed one would be, and one a
   * crash cuts short comes due when the hold lapses.
   */
  deliver(events: readonly OutboxRow[]): void;
  /** Resolves once the relay has stopped (and the deliveries it started have ended). */
  readonly stopped: Promise<void>;
}

// A caller error will not go away by retrying; the event waits for an operator instead.
const permanentCodes = new Set([
  Code.InvalidArgument,
  Code.FailedPrecondition,
  Code.AlreadyExists,
  Code.NotFound,
  Code.OutOfRange,
]);

/**
 * Delivers outbox events: those its own process just committed, at once
 * ({@link OutboxRelay.deliver}), and due rows it claims (FOR UPDATE SKIP LOCKED, so any number
 * of gateway replicas can run one); it calls their idempotent target RPCs outside any
 * transaction (several of a kind in one call when they queue up, see
 * {@link createOutboxBatcher}), then marks each delivered, or reschedules it with exponential
 * backoff and jitter. Delivered events are marked together, in one statement in the transaction of the next
 * round's claim, so a payment's events cost no commit of their own; until then their hold or
 * lease keeps other relays away, and a relay that dies first only lets them be delivered again
 * (their targets are idempotent). A target that is not serving (still starting, restarting,
 * draining) is not called at all: its events wait, and the relay wakes when it reports SERVING;
 * a target whose breaker is open postpones them, again without spending an attempt. An event
 * whose attempts run out, or that a target refuses for good, becomes EXHAUSTED: never dropped,
 * counted in `/metrics` and turning health degraded until an operator looks.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, clock, logger, metrics, signal } = options;
  const random = options.random ?? Math.random;
  const between = createWorkerPause(signal);
  const batcher = createOutboxBatcher(options.targets, options.tracing);

  const retryDelayMs = (attempts: number) => {
    const exponential = Math.min(
      options.backoffMaxMs,
      options.backoffInitialMs * 2 ** (attempts - 1),
    );
    return Math.round(exponential * (0.5 + random() / 2));
  };

  /**
   * Delivers one event in a span of its own: a new trace, linked to the one that wrote the
   * event, so the payment's story continues however late (or wherever) delivery happens.
   */
  const deliver = (event: OutboxRow): Promise<bigint | undefined> =>
    options.tracing.inSpan(
      `outbox.deliver ${event.kind}`,
      {
        root: true,
        links: linksTo(event.traceparent),
        attributes: {
          "kassa.outbox.kind": event.kind,
          "kassa.outbox.event_id": event.id.toString(),
          "kassa.outbox.attempt": event.attempts + 1,
        },
      },
      () => attemptDelivery(event),
    );

  /** Resolves with the event's id when delivered, to be marked with the round's others. */
  const attemptDelivery = async (event: OutboxRow): Promise<bigint | undefined> => {
    try {
      await batcher.deliver(event);
      metrics.outboxDeliveries.inc({ kind: event.kind, result: "delivered" });
      return event.id;
    } catch (error) {
      const cause = ConnectError.from(error);
      if (isCircuitOpenError(error)) {
        // Nothing was sent: the target is known to be down. Wait, but do not spend an attempt,
        // so an outage longer than the retry budget still ends in delivery, not exhaustion.
        await outboxRepository.postpone(
          db,
          event.id,
          new Date(clock.now().getTime() + retryDelayMs(event.attempts + 1)),
        );
        metrics.outboxDeliveries.inc({ kind: event.kind, result: "postponed" });
        return undefined;
      }
      const attempts = event.attempts + 1;
      const exhausted = permanentCodes.has(cause.code) || attempts >= options.maxAttempts;
      const retryAt = exhausted
        ? undefined
        : new Date(clock.now().getTime() + retryDelayMs(attempts));
      await outboxRepository.failed(db, event.id, cause.message, retryAt);
      metrics.outboxDeliveries.inc({ kind: event.kind, result: exhausted ? "exhausted" : "retry" });
      const line = {
        event: event.id.toString(),
        kind: event.kind,
        subject: event.subjectId,
        attempts,
        err: cause.message,
      };
      if (exhausted) logger.error(line, "outbox event exhausted; it waits for an operator");
      else logger.warn(line, "outbox delivery failed; will retry");
      return undefined;
    }
  };

  // The backlog gauges are refreshed at most once a second, not on every (woken) round.
  let backlogRefreshedAt = 0;
  const refreshBacklog = async () => {
    if (performance.now() - backlogRefreshedAt < 1000) return;
    backlogRefreshedAt = performance.now();
    const backlog = await outboxRepository.backlog(db);
    metrics.outboxBacklog.set(backlog.pending);
    metrics.outboxExhausted.set(backlog.exhausted);
    const oldest = backlog.oldestPendingAt;
    metrics.outboxOldestAge.set(
      oldest ? Math.max(0, (clock.now().getTime() - oldest.getTime()) / 1000) : 0,
    );
  };

  const targets = Object.keys(outboxKindsByTarget) as (keyof OutboxTargets)[];
  const waitingKinds = () =>
    targets
      .filter((target) => options.targetHealth[target].status !== "serving")
      .flatMap((target) => outboxKindsByTarget[target]);
  for (const target of targets) {
    options.targetHealth[target].onChange((status) => {
      if (status === "serving") between.wake();
    });
  }

  // Delivered, not yet marked: marked by the next round (one comes within `markWithinMs`), or
  // when the relay stops.
  let unmarked: bigint[] = [];
  let markTimer: NodeJS.Timeout | undefined;
  const delivering = new Set<Promise<void>>();
  const markWithinMs = Math.min(options.markWithinMs ?? 1000, options.pollIntervalMs);

  /** Claims due events, marking those delivered since the last round in the same transaction. */
  const claim = async (): Promise<OutboxRow[]> => {
    const marks = unmarked;
    unmarked = [];
    clearTimeout(markTimer);
    markTimer = undefined;
    const now = clock.now();
    const due = (on: GatewayDatabase) =>
      outboxRepository.claimDue(on, now, options.batchSize, options.leaseMs, waitingKinds());
    if (marks.length === 0) return due(db);
    try {
      return await db.transaction(async (tx) => {
        await outboxRepository.delivered(tx, marks, now);
        return due(tx);
      });
    } catch (error) {
      unmarked.push(...marks);
      throw error;
    }
  };

  const deliverAll = async (events: readonly OutboxRow[]): Promise<void> => {
    const delivered = (await Promise.all(events.map(deliver))).filter((id) => id !== undefined);
    if (delivered.length === 0) return;
    unmarked.push(...delivered);
    markTimer ??= setTimeout(between.wake, markWithinMs);
  };

  const run = async () => {
    while (!signal.aborted) {
      try {
        const batch = await claim();
        await deliverAll(batch);
        await refreshBacklog();
        // A full batch means more may be due: go again without waiting.
        if (batch.length === options.batchSize) continue;
      } catch (error) {
        logger.error({ err: error }, "outbox relay round failed");
      }
      await between.pause(options.pollIntervalMs);
    }
    await Promise.allSettled(delivering);
    clearTimeout(markTimer);
    await outboxRepository
      .delivered(db, unmarked, clock.now())
      .catch((error: unknown) =>
        logger.warn({ err: error }, "outbox deliveries not marked; they will be sent again"),
      );
  };

  /** Held events: a target that is not serving makes them due now, for the rounds to deliver. */
  const deliverHeld = async (events: readonly OutboxRow[]): Promise<void> => {
    const waiting = new Set<string>(waitingKinds());
    const now = clock.now();
    for (const event of events.filter((held) => waiting.has(held.kind))) {
      await outboxRepository.postpone(db, event.id, now);
    }
    await deliverAll(events.filter((held) => !waiting.has(held.kind)));
  };

  const deliverCommitted = (events: readonly OutboxRow[]) => {
    if (events.length === 0) return;
    const task = deliverHeld(events)
      .catch((error: unknown) =>
        logger.error({ err: error }, "outbox delivery failed; the relay will retry it"),
      )
      .finally(() => delivering.delete(task));
    delivering.add(task);
  };

  return { wake: between.wake, deliver: deliverCommitted, stopped: run() };
}
