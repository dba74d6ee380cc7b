/** One sample of a Prometheus text exposition: `name{label="value",…} 1`. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The samples of a `/metrics` body whose name is in `names` (comments and other metrics are
 * skipped). Enough of the text format for gauges; histograms and exemplars are not needed.
 */
export function parseMetricSamples(text: string, names: ReadonlySet<string>): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    const match = sampleLine.exec(line);
    if (!match || !names.has(match[1] ?? "")) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(labelPair)) {
      if (key !== undefined && value !== undefined) {
        labels[key] = value.replace(/\\(.)/g, (_, escaped: string) =>
          escaped === "n" ? "\n" : escaped,
        );
      }
    }
    samples.push({ name: match[1] ?? "", labels, value: Number(match[3]) });
  }
  return samples;
}
