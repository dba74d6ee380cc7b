import { monotonicFactory } from "ulid";

const nextUlid = monotonicFactory();
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
