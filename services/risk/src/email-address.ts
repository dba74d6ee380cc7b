import { requestFields } from "@kassa/platform";

/**
 * An email address lower-cased, the form it is matched and counted in (Kassa compares
 * emails case-insensitively, as the contract says).
 *
 * @throws INVALID_ARGUMENT naming `field` (never the value) when it is not an email address
 * of at most 254 characters.
 */
export function canonicalEmail(field: string, value: string): string {
  return requestFields.email(field, value).toLowerCase();
}
