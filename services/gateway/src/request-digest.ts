import { createHash } from "node:crypto";

/**
 * A SHA-256 over a request's fields, to tell an idempotent replay (same digest) from a
 * different request under the same key, without storing the fields themselves (the payment
 * method stays out of the database).
 */
export function requestDigest(fields: Record<string, unknown>): string {
  const canonical = JSON.stringify(fields, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
    }
    return value;
  });
  return createHash("sha256").update(canonical).digest("hex");
}
