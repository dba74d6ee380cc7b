import type { GatewayContext } from "../gateway-context.js";
import { sagaStep } from "./saga-step.js";

/**
 * Persists what a saga learned (the `finish` step), with the one policy every saga follows
 * when that write fails: the payment or refund stays in the state it was last recorded in
 * (PENDING, PROCESSING, a claimed capture or void), which is where the reconciler looks, and
 * the caller is answered with that state rather than an error. The money moved or it did not;
 * the channel remembers which under the idempotency key, and the reconciler reads it back and
 * writes the same result. Answering INTERNAL instead would tell a merchant that nothing
 * happened when a charge or a refund may have, and invite a retry the key would only replay.
 */
export async function persistResult<Row extends { readonly id: string }>(
  context: Pick<GatewayContext, "logger" | "metrics" | "tracing">,
  recorded: Row,
  write: () => Promise<Row>,
): Promise<Row> {
  try {
    return await sagaStep(context, "finish", write);
  } catch (error) {
    context.logger.error(
      { err: error, subject_id: recorded.id },
      "saga result not recorded; the reconciler will record it",
    );
    return recorded;
  }
}
