/**
 * @kassa/webhooks — the `Kassa-Signature` scheme of Kassa's webhooks. This file is the
 * package's whole public face.
 *
 * A delivery is a POST whose header reads `Kassa-Signature: t=<unix seconds>,v1=<hex>`, where
 * `<hex>` is HMAC-SHA256 keyed with the endpoint's secret (`whsec_…`) over `<t>.<body>` (the
 * raw body bytes, before any JSON parsing). While a rolled secret's grace period runs the
 * header carries one `v1=` per valid secret. The gateway signs with
 * {@link signWebhookPayload}; a merchant verifies with {@link verifyWebhookSignature}.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The header carrying the signature. */
export const signatureHeader = "Kassa-Signature";
/** The header carrying the event id, the same on every delivery of an event. */
export const eventIdHeader = "Kassa-Event-Id";

/** What {@link signWebhookPayload} signs with. */
export interface SignOptions {
  /** Every secret that should sign: the current one first, then one still in its grace period. */
  secrets: readonly string[];
  /** The signing time, in whole unix seconds. Default: now. */
  timestamp?: number;
}

/** The `Kassa-Signature` header value for a payload: `t=<unix>,v1=<hex>[,v1=<hex>…]`. */
export function signWebhookPayload(payload: string | Uint8Array, options: SignOptions): string {
  if (options.secrets.length === 0) throw new Error("signWebhookPayload needs at least one secret");
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signatures = options.secrets.map((secret) => `v1=${hmacHex(secret, timestamp, payload)}`);
  return [`t=${timestamp}`, ...signatures].join(",");
}

/** Why {@link verifyWebhookSignature} refused a payload. */
export type WebhookSignatureProblem =
  /** The header is missing, or has no `t=` or no `v1=`. */
  | "malformed_header"
  /** `t=` is further from now than the tolerance: a replay, or a clock far off. */
  | "timestamp_outside_tolerance"
  /** No `v1=` matches: the body was changed, or the secret is not the endpoint's. */
  | "no_matching_signature";

/** Thrown by {@link verifyWebhookSignature}; `problem` says why in a stable form. */
export class WebhookSignatureError extends Error {
  override readonly name = "WebhookSignatureError";
  readonly problem: WebhookSignatureProblem;

  constructor(problem: WebhookSignatureProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyOptions {
  /**
   * How far `t=` may be from now, either way, in seconds. Default 300: long enough for clock
   * skew and a slow network, short enough that a captured delivery cannot be replayed later.
   */
  toleranceSeconds?: number;
  /** The current time; tests pass a fixed one. Default: the system clock. */
  now?: Date;
}

/**
 * Checks a delivery's `Kassa-Signature` header against the raw body and the endpoint's secret.
 * Returns the signed timestamp (unix seconds); throws a {@link WebhookSignatureError} when
 * the header is malformed, the timestamp is outside the tolerance, or no `v1=` signature
 * matches. Any one matching `v1=` is enough (a rolling secret signs twice). Comparisons are
 * constant-time.
 */
export function verifyWebhookSignature(
  payload: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options: VerifyOptions = {},
): number {
  const { timestamp, signatures } = parseSignatureHeader(header ?? "");
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    throw new WebhookSignatureError(
      "timestamp_outside_tolerance",
      `${signatureHeader} timestamp ${timestamp} is more than ${toleranceSeconds} s from now`,
    );
  }
  const expected = Buffer.from(hmacHex(secret, timestamp, payload), "hex");
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) {
    throw new WebhookSignatureError(
      "no_matching_signature",
      `no ${signatureHeader} v1 signature matches the payload and secret`,
    );
  }
  return timestamp;
}

function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const separator = part.indexOf("=");
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === "t" && /^\d+$/.test(value)) timestamp = Number(value);
    // Other schemes (a future v2) are ignored, so a header can carry both during a migration.
    if (key === "v1" && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookSignatureError(
      "malformed_header",
      `${signatureHeader} must read t=<unix seconds>,v1=<hex HMAC-SHA256>`,
    );
  }
  return { timestamp, signatures };
}

function hmacHex(secret: string, timestamp: number, payload: string | Uint8Array): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(payload).digest("hex");
}
