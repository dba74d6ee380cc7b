import { ExportResultCode } from "@opentelemetry/core";
import type { SpanExporter } from "@opentelemetry/sdk-trace";

/** Options for {@link createOtlpExporter}. */
export interface OtlpExporterOptions {
  /** The traces endpoint, `…/v1/traces`. */
  url: string;
  /** OTLP/HTTP as protobuf (the default) or JSON. */
  protocol: "http/protobuf" | "http/json";
}

/**
 * The OTLP/HTTP span exporter, its module loaded when tracing is configured rather than with
 * the platform: the two exporter packages cost each service about 0.2 s of CPU to load, and
 * most runs (`npm start`, tests) trace nothing. Spans handed over before the module is loaded
 * wait for it; if it cannot be loaded, they are reported failed as an unreachable collector's
 * would be.
 */
export function createOtlpExporter(options: OtlpExporterOptions): SpanExporter {
  const loading: Promise<SpanExporter> =
    options.protocol === "http/json"
      ? import("@opentelemetry/exporter-trace-otlp-http").then(
          ({ OTLPTraceExporter }) => new OTLPTraceExporter({ url: options.url }),
        )
      : import("@opentelemetry/exporter-trace-otlp-proto").then(
          ({ OTLPTraceExporter }) => new OTLPTraceExporter({ url: options.url }),
        );
  // Never an unhandled rejection: every use below reports the failure its own way.
  loading.catch(() => {});
  return {
    export(spans, done) {
      loading.then(
        (exporter) => exporter.export(spans, done),
        (error: unknown) =>
          done({
            code: ExportResultCode.FAILED,
            error: error instanceof Error ? error : undefined,
          }),
      );
    },
    shutdown: () => loading.then((exporter) => exporter.shutdown()).catch(() => {}),
    forceFlush: () => loading.then((exporter) => exporter.forceFlush?.()).catch(() => {}),
  };
}
