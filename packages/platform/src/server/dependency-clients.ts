import type { Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { presentBearerToken } from "../auth/service-access.js";
import type { Secret } from "../config/secret.js";
import type { DependencyConfig } from "../config/service-config.js";
import type { Checker } from "../health/checker.js";
import { createDependencyCheck } from "../health/dependency-check.js";
import type { Logger } from "../observability/logger.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import {
  createDependencyBreaker,
  type DependencyBreaker,
} from "../resilience/dependency-breaker.js";
import { createResilientClient } from "../resilience/resilient-client.js";
import type { DependencyServices } from "./service-definition.js";
import type { TlsClientOptions } from "./tls-settings.js";

/** A service's wired dependencies: one client, breaker and health check for each. */
export interface DependencyClients<Deps extends DependencyServices> {
  readonly clients: { readonly [K in keyof Deps]: Client<Deps[K]> };
  readonly breakers: { readonly [K in keyof Deps]: DependencyBreaker };
  readonly checks: Checker[];
  /** Closes every HTTP/2 session to the dependencies. */
  close(): void;
}

/**
 * Connects to each dependency over gRPC (h2c, or TLS with `tls` for an https:// URL; one
 * HTTP/2 session each), presenting the internal token on every call, and wraps its generated
 * client with the dependency's deadline, breaker and retry policy. Each also gets a health
 * check calling its grpc.health.v1 over the same transport.
 */
export function connectDependencies<Deps extends DependencyServices>(
  services: Deps,
  settings: { [K in keyof Deps]: DependencyConfig },
  options: { token: Secret; logger: Logger; metrics: ServiceMetrics; tls?: TlsClientOptions },
): DependencyClients<Deps> {
  const { token, tls, ...observability } = options;
  const clients: Record<string, unknown> = {};
  const breakers: Record<string, DependencyBreaker> = {};
  const checks: Checker[] = [];
  const sessions: Http2SessionManager[] = [];
  for (const [name, service] of Object.entries(services)) {
    const { url, breaker: policy, timeoutMs, retry } = settings[name] as DependencyConfig;
    // An http:// URL connects without TLS, whatever `tls` holds.
    const sessionManager = new Http2SessionManager(url, undefined, tls);
    sessions.push(sessionManager);
    const transport = createGrpcTransport({
      baseUrl: url,
      sessionManager,
      interceptors: [presentBearerToken(token)],
    });
    const breaker = createDependencyBreaker(name, { policy, ...observability });
    breakers[name] = breaker;
    clients[name] = createResilientClient(service, transport, {
      breaker,
      timeoutMs,
      retry,
      metrics: observability.metrics,
    });
    checks.push(createDependencyCheck(name, transport));
  }
  return {
    clients: clients as DependencyClients<Deps>["clients"],
    breakers: breakers as DependencyClients<Deps>["breakers"],
    checks,
    close() {
      for (const session of sessions) session.abort();
    },
  };
}
