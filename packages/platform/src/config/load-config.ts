import type { z } from "zod";
import { ConfigError } from "./config-error.js";

/** The process environment, or any stand-in for it in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates `env` against a zod object whose keys are environment variable names.
 * Empty strings count as unset, so `FOO=` falls back to FOO's default.
 *
 * @throws ConfigError naming every missing or invalid variable (never echoing values).
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  env: Env,
): z.output<z.ZodObject<Shape>> {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") present[key] = value;
  }
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? "(environment)");
      return { variable, message: variable in present ? issue.message : "is required" };
    }),
  );
}
