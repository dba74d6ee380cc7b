import { AsyncResource } from "node:async_hooks";
import { linksTo, type Tracing } from "@kassa/platform";
import type { OutboxRow } from "../db/schema.js";
import {
  deliverOutboxEvent,
  deliverOutboxEvents,
  deliversTogether,
  type OutboxTargets,
} from "./outbox-events.js";

/** The most events one call carries (the targets' batch RPCs take up to 100). */
export const outboxBatchLimit = 100;

/** Sends outbox events to their targets, several of a kind in one call when they queue up. */
export interface OutboxBatcher {
  /** Resolves once the event is delivered; rejects with its own delivery's error. */
  deliver(event: OutboxRow): Promise<void>;
}

interface Waiting {
  readonly event: OutboxRow;
  /** The event's own call, in the async context (span) its delivery began in. */
  readonly alone: () => Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Natural batching: an event of a kind whose target takes several in one call is sent at once
 * when no call of its kind is on the way; the ones that come while a call is on the way wait for
 * it and then go together, in one call and one transaction at the target. Nothing waits on a
 * timer, so a lone payment's events are as prompt as before, and under load a payment's
 * deliveries cost a fraction of a call and of a commit. A call of several is all or nothing: if
 * it fails, each event is sent alone, so one the target refuses fails by itself (and is retried
 * or exhausted by its own count) and the others are delivered. Other kinds go alone, at once.
 */
export function createOutboxBatcher(targets: OutboxTargets, tracing: Tracing): OutboxBatcher {
  const queues = new Map<string, Waiting[]>();
  const sending = new Set<string>();

  const sendAlone = (waiting: Waiting) => waiting.alone().then(waiting.resolve, waiting.reject);

  const sendTogether = async (batch: Waiting[]) => {
    const events = batch.map((waiting) => waiting.event);
    try {
      await tracing.inSpan(
        `outbox.deliver ${events[0]?.kind} ×${events.length}`,
        {
          root: true,
          links: events.flatMap((event) => linksTo(event.traceparent)),
          attributes: { "kassa.outbox.batch_size": events.length },
        },
        () => deliverOutboxEvents(targets, events),
      );
      for (const waiting of batch) waiting.resolve();
    } catch {
      // All or nothing: find the one at fault by sending each alone.
      await Promise.all(batch.map(sendAlone));
    }
  };

  const drain = async (kind: string, queue: Waiting[]) => {
    sending.add(kind);
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, outboxBatchLimit);
        await (batch.length === 1 && batch[0] ? sendAlone(batch[0]) : sendTogether(batch));
      }
    } finally {
      sending.delete(kind);
    }
  };

  return {
    deliver(event) {
      const alone = AsyncResource.bind(() => deliverOutboxEvent(targets, event));
      if (!deliversTogether(event.kind)) return alone();
      return new Promise<void>((resolve, reject) => {
        let queue = queues.get(event.kind);
        if (!queue) {
          queue = [];
          queues.set(event.kind, queue);
        }
        queue.push({ event, alone, resolve, reject });
        if (!sending.has(event.kind)) void drain(event.kind, queue);
      });
    },
  };
}
