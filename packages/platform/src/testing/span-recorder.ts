import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";

export type { ReadableSpan } from "@opentelemetry/sdk-trace";

/**
 * Keeps every span services started with it (`startService(…, { spanExporter })`) export, in
 * memory, so a test can read a trace back.
 */
export function createSpanRecorder(): InMemorySpanExporter {
  return new InMemorySpanExporter();
}

/** The `service.name` a span was exported under (`kassa-gateway`…). */
export function spanService(span: ReadableSpan): string {
  return String(span.resource.attributes["service.name"] ?? "?");
}

/** A span's duration in milliseconds. */
export function spanMilliseconds(span: ReadableSpan): number {
  const [seconds, nanoseconds] = span.duration;
  return seconds * 1000 + nanoseconds / 1e6;
}

/**
 * Spans printed as the trees they form, one line each (service, name, duration), children
 * under their parent in start order; a span whose parent is not among them starts a tree.
 */
export function formatTraceTree(spans: readonly ReadableSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const byStart = [...spans].sort(
    (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
  );
  const children = (parentId: string | undefined) =>
    byStart.filter((span) =>
      parentId === undefined
        ? !ids.has(span.parentSpanContext?.spanId ?? "")
        : span.parentSpanContext?.spanId === parentId,
    );
  const lines: string[] = [];
  const print = (span: ReadableSpan, depth: number) => {
    const link = span.links.length > 0 ? `  (linked to ${span.links[0]?.context.traceId})` : "";
    lines.push(
      `${"  ".repeat(depth)}${spanService(span)}  ${span.name}  ${spanMilliseconds(span).toFixed(1)} ms${link}`,
    );
    for (const child of children(span.spanContext().spanId)) print(child, depth + 1);
  };
  for (const root of children(undefined)) print(root, 0);
  return lines.join("\n");
}
