import { CaptureMethod } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { fieldPath, requestFields, rpcErrors } from "@kassa/platform";

/** Field checks the gateway's public requests need beyond the platform's. */
export const gatewayFields = {
  /** An idempotency key: 1–255 printable ASCII characters, no spaces (e.g. a UUID). */
  idempotencyKey(value: string): string {
    requestFields.text("idempotency_key", value);
    if (!/^[\x21-\x7e]+$/.test(value)) {
      throw rpcErrors.invalidArgument("idempotency_key", "must be printable ASCII without spaces");
    }
    return value;
  },

  /** Merchant metadata: at most 20 entries, keys 1–40 characters, values at most 500. */
  metadata(value: Record<string, string>): Record<string, string> {
    const entries = Object.entries(value);
    if (entries.length > 20)
      throw rpcErrors.invalidArgument("metadata", "must have at most 20 entries");
    for (const [key, entry] of entries) {
      if (key.length === 0 || key.length > 40) {
        throw rpcErrors.invalidArgument("metadata", "keys must be 1 to 40 characters");
      }
      if (entry.length > 500) {
        throw rpcErrors.invalidArgument(
          fieldPath.entry("metadata", key),
          "must be at most 500 characters",
        );
      }
    }
    return value;
  },

  /** A capture method; UNSPECIFIED is AUTOMATIC. */
  captureMethod(value: CaptureMethod): "AUTOMATIC" | "MANUAL" {
    if (value === CaptureMethod.UNSPECIFIED || value === CaptureMethod.AUTOMATIC)
      return "AUTOMATIC";
    if (value === CaptureMethod.MANUAL) return "MANUAL";
    throw rpcErrors.invalidArgument("capture_method", "is not a CaptureMethod");
  },
} as const;
