import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadServiceConfig } from "../server/service-runtime.js";
import { ConfigError } from "./config-error.js";
import { envFields } from "./env-fields.js";
import { loadConfig } from "./load-config.js";
import { Secret } from "./secret.js";

const definition = {
  defaultPort: 8080,
  dependencies: { order: OrderService },
  env: {},
  access: { kind: "internal", adminMethods: ["CreateOrder"] },
} as const;
const tokens = {
  KASSA_INTERNAL_TOKEN: "internal-token-0123456789abcdef-0123456789",
  KASSA_ADMIN_TOKEN: "admin-token-0123456789abcdef-0123456789abcd",
  DATABASE_URL: "postgres://db/kassa",
};

describe("loadConfig", () => {
  it("applies defaults and parses numbers", () => {
    const config = loadServiceConfig(definition, {
      ...tokens,
      ORDER_URL: "http://order:8082",
      ORDER_TIMEOUT_MS: "750",
    });
    expect(config.PORT).toBe(8080);
    expect(config.dependencies.order).toMatchObject({
      url: "http://order:8082",
      timeoutMs: 750,
      breaker: {
        failureRatio: 0.6,
        minimumCalls: 5,
        windowMs: 60_000,
        halfOpenAfterMs: 30_000,
        halfOpenCalls: 3,
      },
    });
  });

  it("names a missing variable", () => {
    expect(() => loadServiceConfig(definition, tokens)).toThrow("ORDER_URL: is required");
  });

  it("names every bad variable at once, without echoing values", () => {
    try {
      loadServiceConfig(definition, {
        KASSA_INTERNAL_TOKEN: "short-and-secret",
        PORT: "http",
        ORDER_URL: "ftp://secret-host",
        DATABASE_URL: "mysql://user:hunter2@db/kassa",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.map((p) => p.variable).sort();
      expect(problems).toEqual([
        "DATABASE_URL",
        "KASSA_ADMIN_TOKEN",
        "KASSA_INTERNAL_TOKEN",
        "ORDER_URL",
        "PORT",
      ]);
      expect((error as Error).message).not.toContain("hunter2");
      expect((error as Error).message).not.toContain("short-and-secret");
      expect((error as Error).message).toContain(
        "KASSA_INTERNAL_TOKEN: must be at least 32 characters",
      );
      expect((error as Error).message).toContain("PORT: must be a TCP port");
    }
  });

  it("refuses a pool of one connection, which would hang on the migration lock", () => {
    expect(() =>
      loadServiceConfig(definition, {
        ...tokens,
        ORDER_URL: "http://order:8082",
        DATABASE_POOL_SIZE: "1",
      }),
    ).toThrow("DATABASE_POOL_SIZE: must be a whole number of at least 2");
  });

  it("keeps tokens in a Secret that never prints", () => {
    const config = loadServiceConfig(definition, { ...tokens, ORDER_URL: "http://order:8082" });
    expect(config.KASSA_INTERNAL_TOKEN.reveal()).toBe(tokens.KASSA_INTERNAL_TOKEN);
    expect(JSON.stringify(config)).not.toContain(tokens.KASSA_INTERNAL_TOKEN);
    expect(JSON.stringify(config)).not.toContain(tokens.KASSA_ADMIN_TOKEN);
  });

  it("treats an empty value as unset", () => {
    expect(loadConfig(z.object({ LEVEL: envFields.logLevel() }), { LEVEL: "" })).toEqual({
      LEVEL: "info",
    });
  });
});

describe("Secret", () => {
  it("never prints its value", () => {
    const secret = new Secret("sk_test_abc");
    expect(`${secret}`).toBe("[redacted]");
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(secret.reveal()).toBe("sk_test_abc");
  });
});
