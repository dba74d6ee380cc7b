import type { ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { HealthMonitor } from "../health/health-monitor.js";
import { answerHealthRoute, type ProbeResponse } from "../health/health-routes.js";
import type { Logger } from "../observability/logger.js";
import type { NodeRequest, NodeRequestHandler, NodeResponse } from "./one-port-server.js";

/**
 * Puts the plain HTTP routes (`GET /health`, `/health/live`, `/health/ready`, `/metrics`) in
 * front of the RPC handler; every other request goes to `rpc`.
 */
export function withPlainRoutes(
  rpc: NodeRequestHandler,
  routes: { service: string; health: HealthMonitor; registry: Registry; logger: Logger },
): NodeRequestHandler {
  return (request, response) => {
    const path = pathOf(request);
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
