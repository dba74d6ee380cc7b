import { ConnectError } from "@connectrpc/connect";
import {
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { errorCodeName } from "./error-code-name.js";
import { createOtlpExporter } from "./otlp-exporter.js";

/** The samplers `OTEL_TRACES_SAMPLER` may name (the SDK's standard names). */
export const traceSamplers = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

/** The OpenTelemetry settings a service reads from the standard `OTEL_*` variables. */
export interface TracingConfig {
  OTEL_SDK_DISABLED: boolean;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" | "http/json";
  OTEL_SERVICE_NAME?: string | undefined;
  OTEL_TRACES_SAMPLER: (typeof traceSamplers)[number];
  OTEL_TRACES_SAMPLER_ARG: number;
}

/** A service's tracing: on when an OTLP endpoint is configured (or a test hands in an exporter). */
export interface Tracing {
  /** False when no endpoint is set or `OTEL_SDK_DISABLED=true`: then nothing is traced at all. */
  readonly enabled: boolean;
  /** `kassa-<service>` unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  readonly tracer: Tracer;
  /**
   * Runs `run` inside a new active span (a child of the active one), ends it when `run`
   * settles and marks it failed with the error's code when it throws. When tracing is off it
   * only runs `run`, so call sites need no branch of their own.
   */
  inSpan<T>(name: string, options: SpanOptions, run: (span?: Span) => Promise<T>): Promise<T>;
  /**
   * Exports what is buffered (for up to {@link flushOnShutdownMs}) and stops. Never rejects:
   * spans a collector cannot take are dropped, and a service's shutdown must not fail for them.
   */
  shutdown(): Promise<void>;
}

/** Options for {@link createTracing}. */
export interface TracingOptions {
  /** The service's short name (`gateway`); the default service name is `kassa-<name>`. */
  service: string;
  config: TracingConfig;
  /**
   * Where spans go instead of OTLP, each as soon as it ends (tests pass an in-memory
   * exporter). Turns tracing on whatever the configuration says.
   */
  exporter?: SpanExporter;
}

/**
 * Sets up a service's tracer provider from the standard variables: OTLP over HTTP
 * (`http/protobuf` or `http/json`) to `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, batched,
 * parent-based ratio sampling by default. The provider is the service's own, not the global
 * one, so several services in one process (tests) each name their spans correctly; they share
 * the process-wide AsyncLocalStorage context manager, which carries the active span through
 * awaits.
 */
export function createTracing(options: TracingOptions): Tracing {
  const { config } = options;
  const serviceName = config.OTEL_SERVICE_NAME || `kassa-${options.service}`;
  const processor = spanProcessor(options.exporter, config);
  if (!processor) return tracingOff(serviceName);
  useAsyncContext();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    sampler: sampler(config),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer("kassa");
  return {
    enabled: true,
    serviceName,
    tracer,
    inSpan: (name, spanOptions, run) =>
      tracer.startActiveSpan(name, spanOptions, async (span) => {
        try {
          return await run(span);
        } catch (error) {
          markFailed(span, error);
          throw error;
        } finally {
          span.end();
        }
      }),
    shutdown: async () => {
      const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, flushOnShutdownMs).unref());
      await Promise.race([provider.shutdown().catch(() => undefined), gaveUp]);
    },
  };
}

/** How long a stopping service waits for its last spans to reach the collector. */
export const flushOnShutdownMs = 2000;

/** Tracing that records nothing: what a service has with no endpoint, and what unit tests pass. */
export function tracingOff(serviceName = "kassa"): Tracing {
  return {
    enabled: false,
    serviceName,
    tracer: new TracerProvider({ sampler: new AlwaysOffSampler() }).getTracer("kassa"),
    inSpan: (_name, _options, run) => run(),
    shutdown: () => Promise.resolve(),
  };
}

function spanProcessor(
  exporter: SpanExporter | undefined,
  config: TracingConfig,
): SpanProcessor | undefined {
  if (exporter) return new SimpleSpanProcessor({ exporter });
  if (config.OTEL_SDK_DISABLED) return undefined;
  const url =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT &&
      `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`);
  if (!url) return undefined;
  const otlp = createOtlpExporter({ url, protocol: config.OTEL_EXPORTER_OTLP_PROTOCOL });
  return new BatchSpanProcessor({ exporter: otlp });
}

function sampler(config: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  switch (config.OTEL_TRACES_SAMPLER) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio() });
  }
}

let asyncContextInstalled = false;

/** Installs the AsyncLocalStorage context manager once per process (unless one already is). */
function useAsyncContext(): void {
  if (asyncContextInstalled) return;
  asyncContextInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/**
 * Marks a span failed with the error's wire code (`unavailable`, `internal`…), never its
 * message: messages can quote what a caller sent, and span attributes leave the platform.
 */
export function markFailed(span: Span, error: unknown): void {
  const code = errorCodeName(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  if (error instanceof ConnectError) span.setAttribute("rpc.grpc.status_code", error.code);
}

// W3C Trace Context (`traceparent`, `tracestate`) is the one propagation format: it is what
// gRPC, Connect and HTTP clients in every language send.
const propagator = new W3CTraceContextPropagator();

const headersGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/** The trace context a request's headers carry (a root context when they carry none). */
export function extractTraceContext(headers: Headers): Context {
  return propagator.extract(ROOT_CONTEXT, headers, headersGetter);
}

/** Writes the active span's `traceparent` (and `tracestate`) into outgoing headers. */
export function injectTraceContext(headers: Headers): void {
  propagator.inject(context.active(), headers, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
}

/**
 * The active span's `traceparent`, to store beside work that will be done later (an outbox
 * event, a payment the reconciler may finish) so that work can link back to this trace.
 */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, {
    set: (target, key, value) => {
      target[key] = value;
    },
  });
  return carrier.traceparent;
}

/** A span link to the trace a stored `traceparent` names; none when it is absent or invalid. */
export function linksTo(traceparent: string | null | undefined): Link[] {
  if (!traceparent) return [];
  const stored = trace.getSpanContext(
    propagator.extract(
      ROOT_CONTEXT,
      { traceparent },
      {
        keys: (carrier) => Object.keys(carrier),
        get: (carrier, key) => carrier[key as keyof typeof carrier],
      },
    ),
  );
  return stored ? [{ context: stored }] : [];
}

/** The active span's ids, for log lines; undefined outside any span. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
