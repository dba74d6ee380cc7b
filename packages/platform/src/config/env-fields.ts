import { z } from "zod";
import { Secret } from "./secret.js";

/**
 * Building blocks for environment schemas. Every field parses from a string and carries
 * its own error message, so a bad value reads `PORT: must be a TCP port (1-65535)`.
 */
export const envFields = {
  /** A TCP port; 0 asks the OS for a free one (tests). */
  port: (defaultPort: number) =>
    z.coerce
      .number({ error: "must be a TCP port (0-65535)" })
      .int("must be a TCP port (0-65535)")
      .min(0, "must be a TCP port (0-65535)")
      .max(65535, "must be a TCP port (0-65535)")
      .default(defaultPort),

  /** A duration in whole milliseconds. */
  durationMs: (defaultMs: number) =>
    z.coerce
      .number({ error: "must be a duration in milliseconds" })
      .int("must be a whole number of milliseconds")
      .min(0, "must not be negative")
      .default(defaultMs),

  /** A positive whole number (counts, sizes). */
  positiveInt: (defaultValue: number) =>
    z.coerce
      .number({ error: "must be a positive whole number" })
      .int("must be a positive whole number")
      .min(1, "must be a positive whole number")
      .default(defaultValue),

  /** A fraction between 0 and 1 inclusive (rates, ratios). */
  ratio: (defaultValue: number) =>
    z.coerce
      .number({ error: "must be a number between 0 and 1" })
      .min(0, "must be a number between 0 and 1")
      .max(1, "must be a number between 0 and 1")
      .default(defaultValue),

  /** An absolute URL with one of the given schemes, e.g. `http:` for a dependency. */
  url: (schemes: readonly string[]) =>
    z
      .string()
      .refine(
        (value) => URL.canParse(value) && schemes.includes(new URL(value).protocol),
        `must be a ${schemes.map((s) => s.replace(/:$/, "")).join(" or ")} URL`,
      ),

  /** A shared secret (token) of at least 32 characters, held in a {@link Secret}. */
  secret: () =>
    z
      .string()
      .min(32, "must be at least 32 characters")
      .transform((value) => new Secret(value)),

  /** `true` or `false`, in any case (as the OpenTelemetry SDK reads its flags). */
  flag: (defaultValue: boolean) =>
    z
      .string()
      .toLowerCase()
      .pipe(z.enum(["true", "false"], { error: "must be true or false" }))
      .transform((value) => value === "true")
      .default(defaultValue),

  /** A log level pino understands. */
  logLevel: () =>
    z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "must be one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
} as const;
