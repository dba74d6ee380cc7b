import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

/**
 * The same CSPRNG as ulid's default, read 4 KiB at a time: ulid asks for one byte per
 * character, and a system call per byte was a visible share of a payment's CPU.
 */
function pooledRandom(): () => number {
  const pool = new Uint8Array(4096);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    return (pool[next++] ?? 0) / 256;
  };
}

const nextUlid = monotonicFactory(pooledRandom());
const ulidPattern = "[0-9A-HJKMNP-TV-Z]{26}";

/**
 * A new prefixed, time-sortable id such as `pay_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB`: the prefix says
 * what it is, the ULID sorts by creation time (monotonic within a millisecond), so keyset
 * pagination by id is pagination by creation order.
 */
export function createId(prefix: string): string {
  return `${prefix}_${nextUlid()}`;
}

/** Whether `value` is an id with this prefix, as {@link createId} makes them. */
export function isId(prefix: string, value: string): boolean {
  return new RegExp(`^${prefix}_${ulidPattern}$`).test(value);
}
