import type { ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { HealthMonitor } from "../health/health-monitor.js";
import { answerHealthRoute, type ProbeResponse } from "../health/health-routes.js";
import type { Logger } from "../observability/logger.js";
import { type HttpRoute, httpRouteFor, serveHttpRoute } from "./http-route.js";
import type { NodeRequest, NodeRequestHandler, NodeResponse } from "./one-port-server.js";

/**
 * Puts the plain HTTP routes (`GET /health`, `/health/live`, `/health/ready`, `/metrics`, and
 * the service's own {@link HttpRoute}s) in front of the RPC handler; every other request goes
 * to `rpc`.
 */
export function withPlainRoutes(
  rpc: NodeRequestHandler,
  routes: {
    service: string;
    health: HealthMonitor;
    registry: Registry;
    logger: Logger;
    httpRoutes?: readonly HttpRoute[];
  },
): NodeRequestHandler {
  return (request, response) => {
    const path = pathOf(request);
    const own = httpRouteFor(routes.httpRoutes ?? [], path);
    if (own) {
      serveHttpRoute(own, request, response, { path, logger: routes.logger }).catch(
        (error: unknown) => {
          // The body could not be read (the client went away mid-request).
          routes.logger.warn({ err: error, path }, "http route request failed");
          if (!response.headersSent) response.end();
        },
      );
      return;
    }
    if (request.method !== "GET" || !(path === "/metrics" || path.startsWith("/health"))) {
      rpc(request, response);
      return;
    }
    answer(path, routes).then(
      (result) => send(response, result),
      (error: unknown) => {
        routes.logger.error({ err: error, path }, "probe route failed");
        send(response, { status: 500, contentType: "text/plain", body: "internal error\n" });
      },
    );
  };
}

async function answer(
  path: string,
  routes: { service: string; health: HealthMonitor; registry: Registry },
): Promise<ProbeResponse> {
  if (path === "/metrics") {
    const body = await routes.registry.metrics();
    return { status: 200, contentType: routes.registry.contentType, body };
  }
  return (
    (await answerHealthRoute(path, routes.service, routes.health)) ?? {
      status: 404,
      contentType: "text/plain",
      body: "not found\n",
    }
  );
}

function pathOf(request: NodeRequest): string {
  return (request.url ?? "/").split("?", 1)[0] ?? "/";
}

function send(response: NodeResponse, { status, contentType, body }: ProbeResponse): void {
  // Both response classes take (status, headers); their overload sets just do not unify.
  (response as ServerResponse).writeHead(status, {
    "content-type": contentType,
    "cache-control": "no-store",
  });
  response.end(body);
}
