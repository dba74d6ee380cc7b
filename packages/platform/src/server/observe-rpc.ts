import { randomUUID } from "node:crypto";
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { errorCodeName } from "../observability/error-code-name.js";
import type { Logger } from "../observability/logger.js";
import type { ServiceMetrics } from "../observability/metrics.js";

/** What a handler knows about the request it serves. */
export interface RequestContext {
  /** From the caller's `x-request-id` header, or generated; echoed in the response. */
  readonly requestId: string;
  /** The service logger with `request_id` and `rpc` bound. */
  readonly logger: Logger;
}

/** Where the platform puts the {@link RequestContext} in a handler's context values. */
export const requestContextKey = createContextKey<RequestContext | undefined>(undefined, {
  description: "kassa request context",
});

/**
 * The request's context inside a handler. Outside a platform server (a handler under
 * `createRouterTransport` in a unit test) it falls back to `fallback` and a fresh id.
 */
export function requestContext(context: HandlerContext, fallback: Logger): RequestContext {
  return context.values.get(requestContextKey) ?? { requestId: randomUUID(), logger: fallback };
}

// Probes and tools call these often; their lines would drown the ones that matter.
const probeServices = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]);

// A caller-supplied id is echoed into logs and headers, so accept only a short safe token.
const acceptableRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The server interceptor every Kassa service runs: assigns a request id, logs one line per
 * RPC, records the RPC metrics, and normalises errors. An error that is not a ConnectError
 * is a bug or an outage: it is logged with its cause and answered as INTERNAL with only the
 * request id, so no internal detail (SQL, stack, secrets) ever reaches a caller.
 */
export function createObserveInterceptor(logger: Logger, metrics: ServiceMetrics): Interceptor {
  return (next) => async (request) => {
    const supplied = request.header.get("x-request-id");
    const requestId = supplied && acceptableRequestId.test(supplied) ? supplied : randomUUID();
    const rpc = `${request.service.typeName}/${request.method.name}`;
    const log = logger.child({ request_id: requestId, rpc });
    request.contextValues.set(requestContextKey, { requestId, logger: log });
    const started = performance.now();

    const finish = (error?: unknown): ConnectError | undefined => {
      const seconds = (performance.now() - started) / 1000;
      const normalised = error === undefined ? undefined : normalise(error, requestId, log);
      const code = normalised ? errorCodeName(normalised) : "ok";
      metrics.rpcRequests.inc({ method: rpc, code });
      metrics.rpcDuration.observe({ method: rpc }, seconds);
      if (normalised) metrics.rpcErrors.inc({ method: rpc, code });
      const line = { code, duration_ms: Math.round(seconds * 100_000) / 100 };
      if (normalised && serverFault(normalised.code)) log.error(line, normalised.message);
      else if (probeServices.has(request.service.typeName)) log.debug(line, "rpc");
      else log.info(line, "rpc");
      normalised?.metadata.set("x-request-id", requestId);
      return normalised;
    };

    try {
      const response = await next(request);
      response.header.set("x-request-id", requestId);
      if (!response.stream) {
        finish();
        return response;
      }
      return { ...response, message: observeStream(response.message, finish) };
    } catch (error) {
      throw finish(error);
    }
  };
}

async function* observeStream<T>(
  messages: AsyncIterable<T>,
  finish: (error?: unknown) => ConnectError | undefined,
): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw finish(error);
  }
  finish();
}

function normalise(error: unknown, requestId: string, log: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  log.error({ err: error }, "unexpected error");
  return new ConnectError(
    `internal error (request id ${requestId})`,
    Code.Internal,
    undefined,
    undefined,
    error,
  );
}

function serverFault(code: Code): boolean {
  return code === Code.Internal || code === Code.Unknown || code === Code.DataLoss;
}
