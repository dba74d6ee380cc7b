import type { Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { presentBearerToken } from "../auth/service-access.js";
import type { Secret } from "../config/secret.js";
import type { DependencyConfig } from "../config/service-config.js";
import type { Checker } from "../health/checker.js";
import { createDependencyCheck } from "../health/dependency-check.js";
import { type DependencyHealth, watchDependencyHealth } from "../health/dependency-health.js";
import type { Logger } from "../observability/logger.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import type { Tracing } from "../observability/tracing.js";
import {
  createDependencyBreaker,
  type DependencyBreaker,
} from "../resilience/dependency-breaker.js";
import { createResilientClient } from "../resilience/resilient-client.js";
import type { DependencyServices } from "./service-definition.js";
import type { TlsClientOptions } from "./tls-settings.js";
import { createClientTracingInterceptor } from "./trace-rpc.js";

/** A service's wired dependencies: one client, breaker, health watch and check for each. */
export interface DependencyClients<Deps extends DependencyServices> {
  readonly clients: { readonly [K in keyof Deps]: Client<Deps[K]> };
  readonly breakers: { readonly [K in keyof Deps]: DependencyBreaker };
  readonly health: { readonly [K in keyof Deps]: DependencyHealth };
  readonly checks: Checker[];
  /** Stops watching and closes every HTTP/2 session to the dependencies. */
  close(): void;
}

// Keepalive on each dependency's session: a peer that vanished without closing its socket
// (a killed host, a dropped route) breaks the health watch within 10 s plus connect-node's
// 15 s PING timeout, not at TCP's leisure. The timeout stays generous: a PING a busy peer is
// slow to answer must not tear down the calls in flight on the session.
const keepalive = { pingIntervalMs: 10_000 };

/**
 * Connects to each dependency over gRPC (h2c, or TLS with `tls` for an https:// URL; one
 * HTTP/2 session each), presenting the internal token on every call, and wraps its generated
 * client with the dependency's deadline, breaker and retry policy. Each dependency's
 * grpc.health.v1 is watched over the same session: the watch feeds its health check and tells
 * its breaker when it is back.
 */
export function connectDependencies<Deps extends DependencyServices>(
  services: Deps,
  settings: { [K in keyof Deps]: DependencyConfig },
  options: {
    token: Secret;
    logger: Logger;
    metrics: ServiceMetrics;
    tracing: Tracing;
    tls?: TlsClientOptions;
  },
): DependencyClients<Deps> {
  const { token, tls, tracing, ...observability } = options;
  const clients: Record<string, unknown> = {};
  const breakers: Record<string, DependencyBreaker> = {};
  const health: Record<string, DependencyHealth> = {};
  const checks: Checker[] = [];
  const sessions: Http2SessionManager[] = [];
  for (const [name, service] of Object.entries(services)) {
    const { url, breaker: policy, timeoutMs, retry } = settings[name] as DependencyConfig;
    // An http:// URL connects without TLS, whatever `tls` holds.
    const sessionManager = new Http2SessionManager(url, keepalive, tls);
    sessions.push(sessionManager);
    const transport = createGrpcTransport({
      baseUrl: url,
      sessionManager,
      interceptors: [createClientTracingInterceptor(tracing, name), presentBearerToken(token)],
    });
    health[name] = watchDependencyHealth(name, transport, { logger: observability.logger });
    const breaker = createDependencyBreaker(name, {
      policy,
      health: health[name],
      ...observability,
    });
    breakers[name] = breaker;
    clients[name] = createResilientClient(service, transport, {
      breaker,
      timeoutMs,
      retry,
      metrics: observability.metrics,
    });
    checks.push(createDependencyCheck(health[name]));
  }
  return {
    clients: clients as DependencyClients<Deps>["clients"],
    breakers: breakers as DependencyClients<Deps>["breakers"],
    health: health as DependencyClients<Deps>["health"],
    checks,
    close() {
      for (const watch of Object.values(health)) watch.close();
      for (const session of sessions) session.abort();
    },
  };
}
