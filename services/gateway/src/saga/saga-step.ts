import type { Tracing } from "@kassa/platform";
import type { GatewayMetrics } from "../gateway-metrics.js";

/**
 * Runs one saga step (`persist`, `risk`, `order`, `charge`, `refund`, `finish`) inside a span
 * of its own, `saga.<step>`, and records how long it took, whether it succeeded or not.
 */
export async function sagaStep<T>(
  context: { readonly metrics: GatewayMetrics; readonly tracing: Tracing },
  step: string,
  run: () => Promise<T>,
): Promise<T> {
  const stop = context.metrics.sagaStep.startTimer({ step });
  try {
    return await context.tracing.inSpan(
      `saga.${step}`,
      { attributes: { "kassa.saga.step": step } },
      run,
    );
  } finally {
    stop();
  }
}
