import type { Checker } from "@kassa/platform";
import type { GatewayDatabase } from "../db/gateway-database.js";
import { outboxRepository } from "../db/outbox-repository.js";

/**
 * Health of the outbox: exhausted events (never dropped, waiting for an operator) make the
 * gateway degraded; the backlog and its oldest event are reported either way.
 */
export function createOutboxCheck(db: GatewayDatabase, now: () => Date): Checker {
  return {
    name: "outbox",
    critical: false,
    async check() {
      const backlog = await outboxRepository.backlog(db);
      const metadata = {
        pending: backlog.pending,
        exhausted: backlog.exhausted,
        oldest_pending_age_ms: backlog.oldestPendingAt
          ? now().getTime() - backlog.oldestPendingAt.getTime()
          : 0,
      };
      if (backlog.exhausted > 0) {
        return {
          status: "degraded",
          message: `${backlog.exhausted} outbox event(s) exhausted their retries and wait for an operator`,
          metadata,
        };
      }
      return { status: "healthy", message: `${backlog.pending} outbox event(s) waiting`, metadata };
    },
  };
}
