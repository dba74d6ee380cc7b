import { EventEmitter } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import type { Logger } from "../observability/logger.js";

/**
 * What a dependency last said about itself: `serving` and `not_serving` are its own
 * grpc.health.v1 answers; `unreachable` means the watch stream could not be opened or broke;
 * `unknown` means no answer has come yet.
 */
export type DependencyServingStatus = "unknown" | "serving" | "not_serving" | "unreachable";

/** A dependency's readiness, as its own grpc.health.v1 Watch stream reports it. */
export interface DependencyHealth {
  /** The dependency's short name, e.g. `order`. */
  readonly dependency: string;
  readonly status: DependencyServingStatus;
  /** Why it is not serving (the transport error), when it is not. */
  readonly reason: string | undefined;
  /** When `status` last changed. */
  readonly since: Date;
  /** Whether it has said SERVING at least once since this process started watching. */
  readonly everServing: boolean;
  /** Calls `listener` on every status change; returns a function that unsubscribes. */
  onChange(listener: (status: DependencyServingStatus) => void): () => void;
  /** Resolves true as soon as the dependency is serving (at once if it is), false on abort. */
  untilServing(signal: AbortSignal): Promise<boolean>;
  /** Stops watching. */
  close(): void;
}

/** Options for {@link watchDependencyHealth}. */
export interface DependencyHealthOptions {
  logger: Logger;
  /**
   * First wait before reopening a broken watch stream; later waits double up to
   * `retryMaxMs`. Default 50 ms.
   */
  retryInitialMs?: number;
  /**
   * Longest wait between two attempts to reopen the stream: how late, at worst, a dependency
   * that is back is noticed (and its open breaker closed). Default 100 ms; an attempt on a port
   * nobody listens on costs one refused connection.
   */
  retryMaxMs?: number;
}

/** A {@link DependencyHealth} whose status is set by whoever watches the dependency. */
export interface DependencyStatus extends DependencyHealth {
  /** Records what the dependency said (or that it could not be reached), logging each change. */
  become(next: DependencyServingStatus, reason?: string): void;
}

/**
 * Holds a dependency's status and tells listeners when it changes. {@link watchDependencyHealth}
 * drives one from the dependency's Watch stream; tests drive one by hand.
 */
export function createDependencyStatus(dependency: string, logger?: Logger): DependencyStatus {
  const closed = new AbortController();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let status: DependencyServingStatus = "unknown";
  let reason: string | undefined;
  let since = new Date();
  let everServing = false;
  return {
    dependency,
    get status() {
      return status;
    },
    get reason() {
      return reason;
    },
    get since() {
      return since;
    },
    get everServing() {
      return everServing;
    },
    become(next, why) {
      reason = next === "serving" ? undefined : why;
      if (next === status) return;
      const line = `dependency ${dependency}: ${status} -> ${next}${why ? ` (${why})` : ""}`;
      if (next === "serving") logger?.info({ dependency, from: status, to: next }, line);
      else logger?.warn({ dependency, from: status, to: next }, line);
      status = next;
      since = new Date();
      if (next === "serving") everServing = true;
      events.emit("change", next);
    },
    onChange(listener) {
      events.on("change", listener);
      return () => events.off("change", listener);
    },
    untilServing(signal) {
      if (status === "serving") return Promise.resolve(true);
      if (signal.aborted || closed.signal.aborted) return Promise.resolve(false);
      return new Promise((resolve) => {
        const finish = (result: boolean) => {
          events.off("change", onChange);
          signal.removeEventListener("abort", onAbort);
          closed.signal.removeEventListener("abort", onAbort);
          resolve(result);
        };
        const onChange = (next: DependencyServingStatus) => {
          if (next === "serving") finish(true);
        };
        const onAbort = () => finish(false);
        events.on("change", onChange);
        signal.addEventListener("abort", onAbort, { once: true });
        closed.signal.addEventListener("abort", onAbort, { once: true });
      });
    },
    close() {
      closed.abort();
    },
  };
}

/**
 * Watches a dependency's grpc.health.v1 `Watch("")` over the transport its client uses (so it
 * also proves the network path), reopening the stream with backoff whenever it breaks. The
 * dependency pushes every change itself, so "it is back" is known the moment it says so, without
 * polling and without a call that could time out under load.
 */
export function watchDependencyHealth(
  dependency: string,
  transport: Transport,
  options: DependencyHealthOptions,
): DependencyHealth {
  const health = createClient(Health, transport);
  const retryInitialMs = options.retryInitialMs ?? 50;
  const retryMaxMs = options.retryMaxMs ?? 100;
  const stopped = new AbortController();
  const status = createDependencyStatus(dependency, options.logger);

  const watch = async () => {
    let waitMs = retryInitialMs;
    while (!stopped.signal.aborted) {
      try {
        const stream = health.watch({ service: "" }, { signal: stopped.signal });
        for await (const answer of stream) {
          waitMs = retryInitialMs;
          if (answer.status === ServingStatus.SERVING) status.become("serving");
          else status.become("not_serving", `it reports ${ServingStatus[answer.status]}`);
        }
        // The dependency ended the stream: it is shutting down.
        status.become("not_serving", "it closed its health stream");
      } catch (error) {
        if (stopped.signal.aborted) return;
        status.become("unreachable", ConnectError.from(error).rawMessage);
      }
      await delay(waitMs, undefined, { signal: stopped.signal }).catch(() => {});
      waitMs = Math.min(retryMaxMs, waitMs * 2);
    }
  };
  void watch();

  const closeStatus = status.close;
  return Object.assign(status, {
    close() {
      stopped.abort();
      closeStatus();
    },
  });
}
