import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ConfigError, type Secret } from "@kassa/platform";

/**
 * The development key: public (it is in this file), so only the embedded setup (`kassa start`
 * without a DATABASE_URL of the user's), whose data never leaves the developer's machine, may
 * fall back to it.
 */
const developmentKey = Buffer.alloc(32, "kassa-webhooks-development-only");

/** Encrypts and decrypts webhook signing secrets at rest. */
export interface WebhookSecretBox {
  /**
   * False when there is no key to seal with (DATABASE_URL set, WEBHOOK_SECRET_KEY not): then
   * no endpoint can be registered, and {@link seal} and {@link open} throw.
   */
  readonly configured: boolean;
  /** The secret as stored: `v1.<iv>.<tag>.<ciphertext>` (base64url), bound to the endpoint id. */
  seal(secret: string, endpointId: string): string;
  /** The secret a {@link seal} stored for this endpoint; throws when the key or the row is wrong. */
  open(sealed: string, endpointId: string): string;
}

/**
 * AES-256-GCM under WEBHOOK_SECRET_KEY, with the endpoint id as associated data so a sealed
 * secret copied onto another endpoint's row does not open. Without a key, only an embedded
 * gateway (KASSA_EMBEDDED) uses the fixed development key; otherwise the box is not
 * `configured` (the gateway runs, webhooks are refused), so a real database never holds
 * secrets sealed with a public key. A malformed key is a configuration error.
 */
export function createWebhookSecretBox(config: {
  WEBHOOK_SECRET_KEY?: Secret | undefined;
  KASSA_EMBEDDED: boolean;
}): WebhookSecretBox {
  const key = keyOf(config);
  const usable = (): Buffer => {
    if (!key) throw new Error("WEBHOOK_SECRET_KEY is not set");
    return key;
  };
  return {
    configured: key !== undefined,
    seal(secret, endpointId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", usable(), iv);
      cipher.setAAD(Buffer.from(endpointId));
      const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    open(sealed, endpointId) {
      const [version, iv, tag, ciphertext] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || ciphertext === undefined) {
        throw new Error(`webhook secret of ${endpointId} is not in a known sealed form`);
      }
      const decipher = createDecipheriv("aes-256-gcm", usable(), Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(endpointId));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    },
  };
}

function keyOf(config: {
  WEBHOOK_SECRET_KEY?: Secret | undefined;
  KASSA_EMBEDDED: boolean;
}): Buffer | undefined {
  const configured = config.WEBHOOK_SECRET_KEY?.reveal();
  if (configured === undefined) {
    return config.KASSA_EMBEDDED ? developmentKey : undefined;
  }
  const key = /^[0-9a-f]{64}$/i.test(configured)
    ? Buffer.from(configured, "hex")
    : Buffer.from(configured, "base64");
  if (key.length !== 32) {
    throw new ConfigError([
      {
        variable: "WEBHOOK_SECRET_KEY",
        message: "must be 32 bytes, as 64 hex characters or base64",
      },
    ]);
  }
  return key;
}
