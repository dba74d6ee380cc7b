import type { HandlerContext } from "@connectrpc/connect";
import type { ProviderCall } from "./provider.js";

/**
 * The caller's deadline and cancellation for a provider call, capped at `limitMs`. No provider
 * call may outlive the cap, which is what lets a claim older than the claim timeout be
 * declared abandoned (see `settlePendingCharge`).
 */
export function boundedProviderCall(call: HandlerContext, limitMs: number): ProviderCall {
  const remaining = call.timeoutMs();
  return {
    signal: AbortSignal.any([call.signal, AbortSignal.timeout(limitMs)]),
    deadlineMs: remaining === undefined ? limitMs : Math.min(remaining, limitMs),
  };
}
