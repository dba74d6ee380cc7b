import type { GatewayMetrics } from "../gateway-metrics.js";

/** Runs one saga step and records how long it took, whether it succeeded or not. */
export async function sagaStep<T>(
  metrics: GatewayMetrics,
  step: string,
  run: () => Promise<T>,
): Promise<T> {
  const stop = metrics.sagaStep.startTimer({ step });
  try {
    return await run();
  } finally {
    stop();
  }
}
