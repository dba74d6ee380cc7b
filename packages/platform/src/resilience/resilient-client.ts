import type { DescService } from "@bufbuild/protobuf";
import { type CallOptions, type Client, createClient, type Transport } from "@connectrpc/connect";
import { errorCodeName } from "../observability/error-code-name.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import type { DependencyBreaker } from "./dependency-breaker.js";
import { isIdempotent, type RetryPolicy, retryIdempotent } from "./retry-idempotent.js";

/** Options for {@link createResilientClient}. */
export interface ResilientClientOptions {
  /** The breaker every unary call to this dependency goes through. */
  breaker: DependencyBreaker;
  /**
   * Deadline of each call unless the caller passes its own `timeoutMs`. Default 2000 ms.
   * It is Connect's own deadline, so it travels to the dependency (`grpc-timeout`) and the
   * dependency stops working on a call nobody waits for.
   */
  timeoutMs?: number;
  /**
   * Retries for methods the contract marks idempotent; other methods are never retried.
   * Default {@link defaultRetryPolicy}; `false` turns retries off.
   */
  retry?: Partial<RetryPolicy> | false;
  metrics?: ServiceMetrics;
}

/**
 * A generated Connect client for one dependency with every unary call wrapped: a deadline,
 * the dependency's circuit breaker, and (for idempotent methods only) retries. An open
 * breaker fails at once with UNAVAILABLE `circuit open: <dependency>`, touching no network.
 * Streaming methods pass through with the deadline applied.
 */
export function createResilientClient<S extends DescService>(
  service: S,
  transport: Transport,
  options: ResilientClientOptions,
): Client<S> {
  const inner = createClient(service, transport) as Record<string, unknown>;
  const timeoutMs = options.timeoutMs ?? 2000;
  const { breaker, metrics } = options;
  const wrapped: Record<string, unknown> = {};

  for (const method of service.methods) {
    const call = inner[method.localName] as (
      request: unknown,
      callOptions?: CallOptions,
    ) => unknown;
    const withDeadline = (callOptions?: CallOptions): CallOptions => ({
      ...callOptions,
      timeoutMs: callOptions?.timeoutMs ?? timeoutMs,
    });
    if (method.methodKind !== "unary") {
      wrapped[method.localName] = (request: unknown, callOptions?: CallOptions) =>
        call(request, withDeadline(callOptions));
      continue;
    }
    const once = async (request: unknown, callOptions?: CallOptions) => {
      try {
        const response = await breaker.execute(
          () => call(request, withDeadline(callOptions)) as Promise<unknown>,
        );
        metrics?.dependencyCalls.inc({
          dependency: breaker.dependency,
          method: method.name,
          code: "ok",
        });
        return response;
      } catch (error) {
        metrics?.dependencyCalls.inc({
          dependency: breaker.dependency,
          method: method.name,
          code: errorCodeName(error),
        });
        throw error;
      }
    };
    wrapped[method.localName] =
      options.retry !== false && isIdempotent(method)
        ? (request: unknown, callOptions?: CallOptions) =>
            retryIdempotent(method, () => once(request, callOptions), options.retry || {})
        : once;
  }
  return wrapped as Client<S>;
}
