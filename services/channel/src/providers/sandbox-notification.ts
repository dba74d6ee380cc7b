import { createHmac, timingSafeEqual } from "node:crypto";
import type { Secret } from "@kassa/platform";
import type { SandboxNotificationRow } from "../db/schema.js";
import { NotificationRefused } from "./notification-refused.js";
import type { NotificationHeaders, ProviderNotification } from "./provider.js";

// The sandbox's notification scheme, shaped like the common providers' (Stripe's): a JSON
// event POSTed with `Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>`. The timestamp is signed with the body, so an old notification cannot be
// replayed with a fresh time, and one older than the tolerance is refused outright.

/**
 * The secret the sandbox signs with when `SANDBOX_WEBHOOK_SECRET` is unset: public, so only
 * for development and tests. Anyone who knows it can settle sandbox charges (never real
 * money); set a secret of your own on any shared deployment.
 */
export const sandboxDevelopmentWebhookSecret = "whsec_sandbox_development_only_not_secret";

/** The header that carries the signature. */
export const sandboxSignatureHeader = "sandbox-signature";

/** How far a notification's signed time may be from now, either way: five minutes. */
export const sandboxSignatureToleranceMs = 5 * 60 * 1000;

/** The `Sandbox-Signature` value for `body` sent at `at`. */
export function signSandboxNotification(secret: Secret, body: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  return `t=${timestamp},v1=${hmac(secret, timestamp, Buffer.from(body))}`;
}

/** The JSON body of a sandbox notification, as the sandbox sends it. */
export function sandboxNotificationBody(notification: SandboxNotificationRow, at: Date): string {
  return JSON.stringify({
    id: notification.id,
    type: `${notification.kind}.${notification.outcome === "SUCCEEDED" ? "succeeded" : "failed"}`,
    created: Math.floor(at.getTime() / 1000),
    data: {
      id: notification.subjectId,
      ...(notification.outcome === "FAILED" && {
        failure_code: notification.failureCode,
        failure_message: notification.failureMessage ?? "",
      }),
    },
  });
}

/**
 * Checks a notification came from the sandbox within the tolerance, then reads it.
 *
 * @throws NotificationRefused `unauthentic` for a missing, malformed, wrong or stale
 *   signature; `malformed` for a signed body that is not a sandbox event.
 */
export function verifySandboxNotification(
  secret: Secret,
  headers: NotificationHeaders,
  rawBody: Buffer,
  now: Date,
): ProviderNotification {
  const header = headers[sandboxSignatureHeader];
  if (!header) throw new NotificationRefused("unauthentic", "no Sandbox-Signature header");
  const fields = header.split(",").map((field) => field.trim().split("=", 2));
  const timestamps = fields.filter(([name]) => name === "t").map(([, value]) => value ?? "");
  const signatures = fields.filter(([name]) => name === "v1").map(([, value]) => value ?? "");
  const timestamp = Number(timestamps[0]);
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0] ?? "")) {
    throw new NotificationRefused("unauthentic", "Sandbox-Signature has no valid t=");
  }
  if (Math.abs(now.getTime() - timestamp * 1000) > sandboxSignatureToleranceMs) {
    throw new NotificationRefused("unauthentic", "Sandbox-Signature is outside the tolerance");
  }
  const expected = Buffer.from(hmac(secret, timestamp, rawBody), "hex");
  // Every v1 is compared (a sender may sign with an old and a new secret while rolling it),
  // each in constant time.
  const matches = signatures.some((signature) => {
    const given = Buffer.from(/^[0-9a-f]+$/i.test(signature) ? signature : "", "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new NotificationRefused("unauthentic", "Sandbox-Signature does not match");
  return parseEvent(rawBody);
}

function parseEvent(rawBody: Buffer): ProviderNotification {
  let event: unknown;
  try {
    event = JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new NotificationRefused("malformed", "the body is not JSON");
  }
  const { id, type, data } = (typeof event === "object" && event !== null ? event : {}) as Record<
    string,
    unknown
  >;
  const {
    id: subjectId,
    failure_code,
    failure_message,
  } = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const [kind, decision] = typeof type === "string" ? type.split(".", 2) : [];
  if (typeof id !== "string" || id === "" || typeof subjectId !== "string" || subjectId === "") {
    throw new NotificationRefused("malformed", "the event has no id or data.id");
  }
  if (
    (kind !== "charge" && kind !== "refund") ||
    !["succeeded", "failed"].includes(decision ?? "")
  ) {
    throw new NotificationRefused("malformed", "the event type is not one the sandbox sends");
  }
  if (decision === "succeeded") {
    return {
      eventId: id,
      kind,
      id: subjectId,
      outcome: { status: "SUCCEEDED", reference: subjectId },
    };
  }
  if (typeof failure_code !== "string" || failure_code === "") {
    throw new NotificationRefused("malformed", "a failed event has no data.failure_code");
  }
  return {
    eventId: id,
    kind,
    id: subjectId,
    outcome: {
      status: "FAILED",
      reference: subjectId,
      failureCode: failure_code,
      failureMessage: typeof failure_message === "string" ? failure_message : "",
    },
  };
}

function hmac(secret: Secret, timestamp: number, body: Buffer): string {
  return createHmac("sha256", secret.reveal()).update(`${timestamp}.`).update(body).digest("hex");
}
