import { isIP } from "node:net";
import { isCurrency } from "./currency.js";
import { isId } from "./ids.js";
import { rpcErrors } from "./rpc-errors.js";

/** The largest amount Kassa accepts: 10^15 minor units, so sums of many never overflow int64. */
export const maxAmount = 10n ** 15n;

/**
 * Checks for request fields, each throwing INVALID_ARGUMENT that names the field (as the
 * proto spells it) and returning the value when it is fine. Operations call them first,
 * before touching any state, so bad input never changes anything.
 */
export const requestFields = {
  /** A required id with the given prefix, e.g. `order_id` must be an `ord_…` id. */
  id(field: string, value: string, prefix: string): string {
    if (value === "") throw rpcErrors.invalidArgument(field, "is required");
    if (!isId(prefix, value)) throw rpcErrors.invalidArgument(field, `must be a ${prefix}_… id`);
    return value;
  },

  /** Text with a length limit; required unless `optional`. */
  text(field: string, value: string, options: { max?: number; optional?: boolean } = {}): string {
    const max = options.max ?? 255;
    if (value === "" && !options.optional) throw rpcErrors.invalidArgument(field, "is required");
    if (value.length > max)
      throw rpcErrors.invalidArgument(field, `must be at most ${max} characters`);
    if (value !== value.trim()) {
      throw rpcErrors.invalidArgument(field, "must not start or end with whitespace");
    }
    return value;
  },

  /** A positive amount in minor units, at most {@link maxAmount}. */
  amount(field: string, value: bigint): bigint {
    if (value <= 0n) throw rpcErrors.invalidArgument(field, "must be greater than 0");
    if (value > maxAmount) throw rpcErrors.invalidArgument(field, `must be at most ${maxAmount}`);
    return value;
  },

  /** An active ISO 4217 code in upper case. */
  currency(field: string, value: string): string {
    if (value === "") throw rpcErrors.invalidArgument(field, "is required");
    if (!isCurrency(value)) {
      throw rpcErrors.invalidArgument(field, "must be an ISO 4217 currency code such as USD");
    }
    return value;
  },

  /** An email address (loosely: one @, no spaces, a dot in the domain); empty allowed if optional. */
  email(field: string, value: string, options: { optional?: boolean } = {}): string {
    if (value === "" && options.optional) return value;
    requestFields.text(field, value, { max: 254 });
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      throw rpcErrors.invalidArgument(field, "must be an email address");
    }
    return value;
  },

  /** An IPv4 or IPv6 address; empty allowed if optional. */
  ip(field: string, value: string, options: { optional?: boolean } = {}): string {
    if (value === "" && options.optional) return value;
    if (isIP(value) === 0)
      throw rpcErrors.invalidArgument(field, "must be an IPv4 or IPv6 address");
    return value;
  },
} as const;
