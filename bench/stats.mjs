// Small helpers shared by the benchmarks: percentiles and fixed-width printing.

/** The p-th percentile (0-100) of already measured durations, in milliseconds. */
export function percentile(sortedMs, p) {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)];
}

/** Summarises durations (ms) as p50/p99/mean. */
export function summarise(durationsMs) {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, d) => sum + d, 0) / sorted.length;
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, count: sorted.length };
}

/** Formats milliseconds with three decimals. */
export const ms = (value) => `${value.toFixed(3)} ms`;

/**
 * Makes `total` calls, `concurrency` at a time (call(i) for i = 0…total-1), timing each; resolves
 * with calls per second and the latency summary.
 */
export async function drive({ total, concurrency }, call) {
  const latencies = new Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rps: total / seconds, ...summarise(latencies) };
}
