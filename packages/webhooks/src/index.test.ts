import { describe, expect, it } from "vitest";
import { signWebhookPayload, verifyWebhookSignature, WebhookSignatureError } from "./index.js";

const secret = "whsec_test_0123456789abcdef";
const body = '{"id":"evt_1","type":"payment.succeeded"}';
const at = new Date("2026-12-01T12:00:00Z");
const t = Math.floor(at.getTime() / 1000);

const problemOf = (verify: () => unknown) => {
  try {
    verify();
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.problem;
    throw error;
  }
  return undefined;
};

describe("verifyWebhookSignature", () => {
  it("accepts what signWebhookPayload signed, and returns the signed time", () => {
    const header = signWebhookPayload(body, { secrets: [secret], timestamp: t });
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(body, header, secret, { now: at })).toBe(t);
  });

  it("accepts either secret of a header signed with two", () => {
    const header = signWebhookPayload(body, { secrets: ["whsec_new", secret], timestamp: t });
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature(body, header, secret, { now: at })).toBe(t);
    expect(verifyWebhookSignature(body, header, "whsec_new", { now: at })).toBe(t);
  });

  it("refuses a tampered body, a wrong secret, a stale timestamp and a malformed header", () => {
    const header = signWebhookPayload(body, { secrets: [secret], timestamp: t });
    expect(problemOf(() => verifyWebhookSignature(`${body} `, header, secret, { now: at }))).toBe(
      "no_matching_signature",
    );
    expect(problemOf(() => verifyWebhookSignature(body, header, "whsec_other", { now: at }))).toBe(
      "no_matching_signature",
    );
    const later = new Date(at.getTime() + 301_000);
    expect(problemOf(() => verifyWebhookSignature(body, header, secret, { now: later }))).toBe(
      "timestamp_outside_tolerance",
    );
    expect(
      verifyWebhookSignature(body, header, secret, { now: later, toleranceSeconds: 600 }),
    ).toBe(t);
    expect(problemOf(() => verifyWebhookSignature(body, undefined, secret))).toBe(
      "malformed_header",
    );
    expect(problemOf(() => verifyWebhookSignature(body, `t=${t}`, secret))).toBe(
      "malformed_header",
    );
  });
});
