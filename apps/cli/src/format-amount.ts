import { currencyExponent } from "@kassa/platform";

/**
 * An amount in minor units as a person reads it, with the currency's own decimals:
 * `1999n, "USD"` → `19.99 USD`, `1050n, "JPY"` → `1050 JPY`, `-5n, "KWD"` → `-0.005 KWD`.
 * Exact (bigint arithmetic, never a float); a code Kassa does not know is shown in minor units.
 */
export function formatAmount(amount: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return `${amount} ${currency} (minor units)`;
  const sign = amount < 0n ? "-" : "";
  const digits = (amount < 0n ? -amount : amount).toString().padStart(exponent + 1, "0");
  if (exponent === 0) return `${sign}${digits} ${currency}`;
  const major = digits.slice(0, -exponent);
  const minor = digits.slice(-exponent);
  return `${sign}${major}.${minor} ${currency}`;
}
