import { ConfigError, Secret } from "@kassa/platform";
import { describe, expect, it } from "vitest";
import { createWebhookSecretBox } from "./webhook-secret-box.js";

const key = new Secret("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

describe("webhook signing secrets at rest", () => {
  it("are encrypted, and open only with the key and for the endpoint they were sealed for", () => {
    const box = createWebhookSecretBox({ WEBHOOK_SECRET_KEY: key, KASSA_EMBEDDED: false });
    const sealed = box.seal("whsec_abc", "we_1");
    expect(sealed).not.toContain("whsec_abc");
    expect(box.open(sealed, "we_1")).toBe("whsec_abc");
    expect(() => box.open(sealed, "we_2")).toThrow();
    const otherKey = createWebhookSecretBox({
      WEBHOOK_SECRET_KEY: new Secret(Buffer.alloc(32, 7).toString("base64")),
      KASSA_EMBEDDED: false,
    });
    expect(() => otherKey.open(sealed, "we_1")).toThrow();
  });

  it("need WEBHOOK_SECRET_KEY on a real database; only the embedded one falls back to a development key", () => {
    expect(createWebhookSecretBox({ KASSA_EMBEDDED: false }).configured).toBe(false);
    expect(createWebhookSecretBox({ KASSA_EMBEDDED: true }).configured).toBe(true);
    expect(() =>
      createWebhookSecretBox({
        WEBHOOK_SECRET_KEY: new Secret("x".repeat(40)),
        KASSA_EMBEDDED: true,
      }),
    ).toThrow(ConfigError);
  });
});
