import type { Interceptor, StreamRequest, UnaryRequest } from "@connectrpc/connect";
import { type Attributes, type Span, SpanKind } from "@opentelemetry/api";
import {
  extractTraceContext,
  injectTraceContext,
  markFailed,
  type Tracing,
} from "../observability/tracing.js";

// Probes, health watches and reflection would each start a trace of their own: noise that
// costs export bandwidth and buries the payments.
const untracedServices = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]);

/**
 * The server span of every RPC a service serves, a child of the caller's `traceparent` when
 * it sent one. It is active while the handler runs, so the handler's own spans (saga steps,
 * statements, dependency calls) and log lines belong to it. Attributes follow the RPC
 * semantic conventions: `rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`.
 */
export function createServerTracingInterceptor(tracing: Tracing): Interceptor {
  if (!tracing.enabled) return (next) => next;
  return (next) => (request) => {
    if (untracedServices.has(request.service.typeName)) return next(request);
    return tracing.tracer.startActiveSpan(
      rpcSpanName(request),
      { kind: SpanKind.SERVER, attributes: rpcAttributes(request, serverRpcSystem(request)) },
      extractTraceContext(request.header),
      (span) => settle(span, () => next(request)),
    );
  };
}

/**
 * The client span of every call to a dependency (one per attempt, so a retry shows as a
 * second span), which hands its `traceparent` to the dependency.
 */
export function createClientTracingInterceptor(tracing: Tracing, dependency: string): Interceptor {
  if (!tracing.enabled) return (next) => next;
  return (next) => (request) => {
    if (untracedServices.has(request.service.typeName)) return next(request);
    return tracing.tracer.startActiveSpan(
      rpcSpanName(request),
      {
        kind: SpanKind.CLIENT,
        attributes: { ...rpcAttributes(request, "grpc"), "kassa.dependency": dependency },
      },
      (span) => {
        injectTraceContext(request.header);
        return settle(span, () => next(request));
      },
    );
  };
}

async function settle<T>(span: Span, call: () => Promise<T>): Promise<T> {
  try {
    const response = await call();
    span.setAttribute("rpc.grpc.status_code", 0);
    return response;
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** `kassa.order.v1.OrderService/MarkOrderPaid`, as the conventions name an RPC span. */
function rpcSpanName(request: UnaryRequest | StreamRequest): string {
  return `${request.service.typeName}/${request.method.name}`;
}

function rpcAttributes(request: UnaryRequest | StreamRequest, system: string): Attributes {
  return {
    "rpc.system": system,
    "rpc.service": request.service.typeName,
    "rpc.method": request.method.name,
  };
}

/** gRPC and gRPC-Web callers are `grpc`; Connect's own protocol (HTTP/JSON) is `connect_rpc`. */
function serverRpcSystem(request: UnaryRequest | StreamRequest): string {
  return request.header.get("content-type")?.startsWith("application/grpc")
    ? "grpc"
    : "connect_rpc";
}
