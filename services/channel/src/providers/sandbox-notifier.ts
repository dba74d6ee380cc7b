import {
  type Clock,
  fetchWithTls,
  type Logger,
  type Secret,
  type TlsClientOptions,
} from "@kassa/platform";
import type { ChannelDatabase } from "../db/channel-database.js";
import { sandboxRepository } from "../db/sandbox-repository.js";
import type { SandboxNotificationRow } from "../db/schema.js";
import {
  sandboxNotificationBody,
  sandboxSignatureHeader,
  signSandboxNotification,
} from "./sandbox-notification.js";

/** Options for {@link startSandboxNotifier}. */
export interface SandboxNotifierOptions {
  readonly db: ChannelDatabase;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the sandbox POSTs: the channel's own `/webhooks/sandbox`, over the network. */
  readonly url: string;
  /** What it signs with (`SANDBOX_WEBHOOK_SECRET`). */
  readonly secret: Secret;
  /** For an https:// URL: the CA to trust and, for mutual TLS, the certificate to present. */
  readonly tls?: TlsClientOptions | undefined;
  /** Stops it after its current delivery. */
  readonly signal: AbortSignal;
  /**
   * How often it looks for due notifications besides being woken: what a restart or a retry
   * waits at most. Default 1000 ms.
   */
  readonly pollIntervalMs?: number;
  /** Attempts per notification before the sandbox gives up on it (it stays). Default 20. */
  readonly maxAttempts?: number;
  /** How long one delivery may take. Default 10 000 ms. */
  readonly deliveryTimeoutMs?: number;
}

/** A running {@link startSandboxNotifier}. */
export interface SandboxNotifier {
  /** Looks for due notifications in `ms` (a notification was just scheduled). */
  wakeIn(ms: number): void;
  /** Resolves once it stopped. */
  readonly stopped: Promise<void>;
}

/**
 * The sandbox's side of asynchronous charges, as a real provider runs it: when a notification
 * falls due it decides its charge and POSTs the signed notification to the channel, over the
 * network, until a 2xx acknowledges it. Unacknowledged notifications are kept in the sandbox's
 * table and resent with backoff (1 s doubling up to 1 min), also after a restart; the channel
 * deduplicates by event id, so a resend after a lost acknowledgement changes nothing.
 */
export function startSandboxNotifier(options: SandboxNotifierOptions): SandboxNotifier {
  const { db, clock, logger, signal } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const maxAttempts = options.maxAttempts ?? 20;
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 10_000;

  let woken = false;
  let wake = () => {
    woken = true;
  };
  const timers = new Set<NodeJS.Timeout>();
  signal.addEventListener("abort", () => {
    for (const timer of timers) clearTimeout(timer);
    wake();
  });

  const pause = () =>
    new Promise<void>((resolve) => {
      if (woken || signal.aborted) return resolve();
      const timer = setTimeout(() => wake(), pollIntervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).then(() => {
      woken = false;
      wake = () => {
        woken = true;
      };
    });

  const deliver = async (notification: SandboxNotificationRow) => {
    const at = clock.now();
    const body = sandboxNotificationBody(notification, at);
    try {
      const response = await fetchWithTls(options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [sandboxSignatureHeader]: signSandboxNotification(options.secret, body, at),
        },
        body,
        tls: options.tls,
        signal: AbortSignal.timeout(deliveryTimeoutMs),
      });
      if (response.status >= 200 && response.status < 300) {
        await sandboxRepository.acknowledgeNotification(db, notification.id, clock.now());
        return;
      }
      logger.warn(
        { event_id: notification.id, status: response.status, attempt: notification.attempts },
        "sandbox notification refused; will resend",
      );
    } catch (error) {
      logger.warn(
        { event_id: notification.id, err: error, attempt: notification.attempts },
        "sandbox notification not delivered; will resend",
      );
    }
  };

  const deliverDue = async () => {
    while (!signal.aborted) {
      const now = clock.now();
      const due = await sandboxRepository.claimDueNotification(
        db,
        now,
        maxAttempts,
        (attempts) => new Date(now.getTime() + Math.min(1000 * 2 ** (attempts - 1), 60_000)),
      );
      if (!due) return;
      await deliver(due);
    }
  };

  const run = async () => {
    while (!signal.aborted) {
      await deliverDue().catch((error: unknown) =>
        logger.error({ err: error }, "sandbox notifier round failed"),
      );
      await pause();
    }
  };

  return {
    wakeIn(ms) {
      if (signal.aborted) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        wake();
      }, ms);
      timers.add(timer);
    },
    stopped: run(),
  };
}
