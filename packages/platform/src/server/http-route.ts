import type { ServerResponse } from "node:http";
import type { Logger } from "../observability/logger.js";
import type { NodeRequest, NodeResponse } from "./one-port-server.js";

/**
 * A plain HTTP route a service serves on its one port beside its RPCs, such as a payment
 * provider's notifications (`POST /webhooks/<channel>`). It sees the raw body, read whole
 * within a size limit, because signatures are computed over the exact bytes sent. It is not
 * behind the service's token checks: the route authenticates its callers itself.
 */
export interface HttpRoute {
  readonly method: "POST";
  /** Requests whose path starts with this come here, e.g. `/webhooks/`. */
  readonly pathPrefix: string;
  /** The largest body accepted; a larger one is answered 413 unread. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Answers the request; a thrown error is logged and answered 500. */
  handle(request: HttpRouteRequest): Promise<HttpRouteResponse>;
}

/** What an {@link HttpRoute} is given. */
export interface HttpRouteRequest {
  /** The path, without the query. */
  readonly path: string;
  /** Header values by lower-case name; a repeated header's values joined with `, `. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received. */
  readonly body: Buffer;
}

/** What an {@link HttpRoute} answers: a status and a JSON body. */
export interface HttpRouteResponse {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/** 64 KiB: far above any provider notification, far below anything that hurts. */
const defaultMaxBodyBytes = 64 * 1024;

/** The route `request` is for, if any. */
export function httpRouteFor(routes: readonly HttpRoute[], path: string): HttpRoute | undefined {
  return routes.find((route) => path.startsWith(route.pathPrefix));
}

/** Reads the body within the route's limit, lets the route answer, and sends its answer. */
export async function serveHttpRoute(
  route: HttpRoute,
  request: NodeRequest,
  response: NodeResponse,
  context: { path: string; logger: Logger },
): Promise<void> {
  if (request.method !== route.method) {
    send(response, { status: 405, body: { error: `use ${route.method}` } });
    request.resume();
    return;
  }
  const body = await readBody(request, route.maxBodyBytes ?? defaultMaxBodyBytes);
  if (!body) {
    send(response, { status: 413, body: { error: "body too large" } });
    // The rest is never read: the connection (or HTTP/2 stream) is dropped once answered.
    response.once("finish", () => request.destroy());
    return;
  }
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  let answer: HttpRouteResponse;
  try {
    answer = await route.handle({ path: context.path, headers, body });
  } catch (error) {
    context.logger.error({ err: error, path: context.path }, "http route failed");
    answer = { status: 500, body: { error: "internal error" } };
  }
  send(response, answer);
}

/** The whole body, or undefined as soon as it exceeds `limit` bytes. */
async function readBody(request: NodeRequest, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(response: NodeResponse, { status, body }: HttpRouteResponse): void {
  // Both response classes take (status, headers); their overload sets just do not unify.
  (response as ServerResponse).writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
  });
  response.end(JSON.stringify(body));
}
