/** What the database driver (postgres.js) reported, found under drizzle's wrapping. */
export interface DatabaseError {
  /** The SQLSTATE (`23505`) for server errors; the driver's code (`ECONNREFUSED`) otherwise. */
  readonly code: string;
  /** The constraint or index concerned, when the server named one. */
  readonly constraint: string | undefined;
  /** The server's or driver's message, without the query or its parameters. */
  readonly message: string;
}

// Codes that mean the database could not be reached or went away, so nothing can be written
// (not even the note that something failed): SQLSTATE class 08, server shutdown, and the
// drivers' own connection errors.
const unreachableCodes = new Set([
  "57P01",
  "57P02",
  "57P03",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/**
 * The driver's error behind `error` (drizzle wraps it as the `cause` of a DrizzleQueryError
 * whose own message holds the SQL and its parameters), or undefined when no database was
 * involved.
 */
export function databaseErrorOf(error: unknown): DatabaseError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as {
      code?: unknown;
      constraint_name?: unknown;
      message?: unknown;
    };
    if (typeof candidate.code === "string") {
      const constraint = candidate.constraint_name;
      return {
        code: candidate.code,
        constraint: typeof constraint === "string" ? constraint : undefined,
        message: typeof candidate.message === "string" ? candidate.message : "",
      };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether `error` says the database cannot be reached (as opposed to refusing a write). */
export function isDatabaseUnreachable(error: unknown): boolean {
  const code = databaseErrorOf(error)?.code;
  return code !== undefined && (code.startsWith("08") || unreachableCodes.has(code));
}
