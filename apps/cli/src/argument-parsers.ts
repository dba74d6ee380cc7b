import { isCurrency } from "@kassa/platform";
import { InvalidArgumentError } from "commander";

/** Parses a whole number within [min, max] for an option like `--fee-bps`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

/** Parses an amount in minor units (e.g. `30` for $0.30) as a bigint, never a float. */
export function minorUnits(value: string): bigint {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidArgumentError("must be a whole number of minor units (e.g. 30 for 0.30 USD)");
  }
  return BigInt(value.trim());
}

/** Parses an ISO 4217 code, upper-casing it (`usd` → `USD`). */
export function currencyCode(value: string): string {
  const code = value.trim().toUpperCase();
  if (!isCurrency(code)) throw new InvalidArgumentError(`"${value}" is not an ISO 4217 currency`);
  return code;
}

/** Parses an ISO 8601 time with a zone (`2026-11-24T12:00:00Z`) into a Date. */
export function isoTime(value: string): Date {
  const date = new Date(value);
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value.trim()) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      "must be an ISO 8601 time with a zone, e.g. 2026-11-24T12:00:00Z",
    );
  }
  return date;
}

/** Checks an id argument's prefix (`pay_…`) so a mix-up fails before any call. */
export function prefixedId(prefix: string): (value: string) => string {
  return (value) => {
    if (!value.startsWith(prefix) || value.length <= prefix.length) {
      throw new InvalidArgumentError(`must be an id starting with ${prefix}`);
    }
    return value;
  };
}
