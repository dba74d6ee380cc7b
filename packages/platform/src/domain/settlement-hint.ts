/**
 * The Redis pub/sub channel on which the channel service announces that it settled a charge
 * or a refund out of band (a provider's notification), so the gateway finishes that payment
 * or refund at once instead of at its reconciler's next look. A hint, and lossy by design:
 * a gateway that is away misses it, and its reconciler still finishes everything stuck.
 */
export const settlementHintChannel = "kassa:channel:settled";

/**
 * What a settlement hint says: which kind of record settled, under the caller's idempotency
 * key (the gateway's payment or refund id). Carries no outcome: the gateway asks the channel.
 */
export interface SettlementHint {
  readonly kind: "charge" | "refund";
  readonly idempotencyKey: string;
}

/** A hint as published on {@link settlementHintChannel}. */
export function encodeSettlementHint(hint: SettlementHint): string {
  return JSON.stringify({ kind: hint.kind, idempotencyKey: hint.idempotencyKey });
}

/** The hint in a published message, or undefined when it is not one. */
export function parseSettlementHint(message: string): SettlementHint | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { kind, idempotencyKey } = parsed as Record<string, unknown>;
  if (kind !== "charge" && kind !== "refund") return undefined;
  if (typeof idempotencyKey !== "string" || idempotencyKey === "") return undefined;
  return { kind, idempotencyKey };
}
