import { randomBytes } from "node:crypto";

/** What every Kassa secret API key starts with; live keys would get their own prefix. */
export const apiKeySecretPrefix = "sk_test_";

/** How many characters of a secret are kept in the clear, to recognise a key in listings. */
export const visiblePrefixLength = 12;

/** The longest secret AuthenticateApiKey looks up; anything longer is not a Kassa key. */
export const maxSecretLength = 255;

// 24 bytes are 192 random bits, well above the 128 the contract promises.
const randomByteCount = 24;
const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// 62^33 > 2^192, so every 24-byte value fits; padding to this width keeps all secrets one length.
const encodedLength = 33;

/**
 * A new secret API key: `sk_test_` and 24 bytes from the OS's CSPRNG in base62 (33 characters,
 * zero-padded so every secret has the same length). It is shown to the caller once and never
 * stored; only its digest is.
 */
export function createApiKeySecret(): string {
  let value = BigInt(`0x${randomBytes(randomByteCount).toString("hex")}`);
  let encoded = "";
  while (value > 0n) {
    encoded = base62Alphabet.charAt(Number(value % 62n)) + encoded;
    value /= 62n;
  }
  return apiKeySecretPrefix + encoded.padStart(encodedLength, base62Alphabet.charAt(0));
}

/** The part of a secret shown in listings: `sk_test_` and the first four encoded characters. */
export function visiblePrefixOf(secret: string): string {
  return secret.slice(0, visiblePrefixLength);
}

/**
 * Whether `secret` could be a Kassa secret at all. Anything else is answered exactly like an
 * unknown key, so a caller learns nothing from the shape of what it sent.
 */
export function isApiKeySecretShaped(secret: string): boolean {
  return (
    secret.length > apiKeySecretPrefix.length &&
    secret.length <= maxSecretLength &&
    secret.startsWith(apiKeySecretPrefix)
  );
}
