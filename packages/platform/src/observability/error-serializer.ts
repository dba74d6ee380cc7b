import { ConnectError } from "@connectrpc/connect";
import { databaseRefusalOf, summariseStatement } from "../storage/database-error.js";
import { errorCodeName } from "./error-code-name.js";

/**
 * An error as a Kassa log line carries it: what failed and where, never the data involved.
 * Database errors keep the statement's operation and table and the server's SQLSTATE,
 * condition and constraint; they lose the statement's parameters, Postgres's `detail`,
 * `where`, `hint` and message, and drizzle's message (which embeds `params: …`).
 */
export interface LoggedError {
  readonly type: string;
  readonly message: string;
  readonly stack?: string;
  /** A driver or system code (`ECONNREFUSED`), a SQLSTATE (`23505`), or a Connect code (`internal`). */
  readonly code?: string | number;
  /** Of a failed statement: its first keyword (`insert`) and main table (`risk.decisions`). */
  readonly operation?: string;
  readonly table?: string;
  readonly condition?: string;
  readonly constraint?: string;
  readonly schema?: string;
  readonly column?: string;
  readonly routine?: string;
  readonly severity?: string;
  readonly errno?: string | number;
  readonly syscall?: string;
  readonly address?: string;
  readonly port?: string | number;
  readonly cause?: LoggedError;
  readonly errors?: LoggedError[];
}

/**
 * The pino serializer for `err`, replacing pino's standard one (which copies every enumerable
 * property and every cause's message, so a drizzle error logged the customer's email, IP and
 * payment-method token from its `params`). Anything that is not an error passes through.
 *
 * - drizzle's `DrizzleQueryError` (anything with a string `query` and `params`): the
 *   statement's operation and table only;
 * - Postgres refusals (postgres.js `PostgresError`): SQLSTATE, condition, constraint, schema,
 *   table, column, routine, severity;
 * - ConnectError: its code name and message, with a wrapped cause's raw message replaced by
 *   that cause's safe one (`ConnectError.from(err)` copies the message it wraps);
 * - anything else: its message and a few system fields (`code`, `errno`, `syscall`,
 *   `address`, `port`), nothing else it may carry (ioredis errors carry the command's keys);
 * - causes (`cause`, AggregateError's `errors`) alike, five levels deep at most;
 * - a string (`err: error.message`), and any message, is cut where a drizzle query text
 *   (`Failed query: …`) starts.
 *
 * Stacks are rebuilt from the safe message and the raw stack's frames, since a stack starts
 * with the raw message.
 */
export function serializeError(value: unknown): unknown {
  if (typeof value === "string") return withoutQueryText(value);
  return isErrorLike(value) ? loggedError(value, 0) : value;
}

/**
 * `message` cut where a drizzle query text starts: a message built from another error's
 * (`failed: ${error.message}`) or passed as a string carries its statement and `params`.
 */
function withoutQueryText(message: string): string {
  const at = message.indexOf("Failed query: ");
  return at === -1 ? message : `${message.slice(0, at)}failed query (statement withheld)`;
}

const maxDepth = 5;

function loggedError(error: ErrorLike, depth: number): LoggedError {
  const type = typeName(error);
  const cause =
    depth < maxDepth && isErrorLike(error.cause) ? loggedError(error.cause, depth + 1) : undefined;
  const errors =
    depth < maxDepth && Array.isArray(error.errors)
      ? error.errors.filter(isErrorLike).map((inner) => loggedError(inner, depth + 1))
      : undefined;
  const facts = factsOf(error);
  let message = withoutQueryText(facts.message);
  // A wrapper that repeats its cause's unsafe message (ConnectError.from, `${err.message}`)
  // repeats the safe one instead.
  if (cause && isErrorLike(error.cause)) {
    const raw = error.cause.message;
    if (raw !== "" && raw !== cause.message) message = message.replaceAll(raw, cause.message);
  }
  return dropUndefined({
    type,
    ...facts,
    message,
    stack: stackOf(error, type, message),
    cause,
    errors,
  });
}

/** The message and fields an error may show, by kind. */
function factsOf(error: ErrorLike): Omit<LoggedError, "type" | "stack" | "cause" | "errors"> {
  const refusal = databaseRefusalOf(error);
  if (refusal) {
    const statement = typeof error.query === "string" ? summariseStatement(error.query) : undefined;
    return {
      message: `${refusal.condition ?? "database error"} (SQLSTATE ${refusal.code})`,
      ...refusal,
      ...statement,
      // The statement's table wins when known; the server names the table without its schema.
      table: statement?.table ?? qualified(refusal.schema, refusal.table),
    };
  }
  if (typeof error.query === "string" && "params" in error) {
    const { operation, table } = summariseStatement(error.query);
    return {
      message: `failed query: ${operation}${table ? ` ${table}` : ""}`,
      operation,
      table,
    };
  }
  if (error instanceof ConnectError) {
    return { message: error.message, code: errorCodeName(error) };
  }
  const { code, errno, syscall, address, port } = error;
  return {
    message: error.message,
    code: primitive(code),
    errno: primitive(errno),
    syscall: typeof syscall === "string" ? syscall : undefined,
    address: typeof address === "string" ? address : undefined,
    port: primitive(port),
  };
}

function stackOf(error: ErrorLike, type: string, message: string): string | undefined {
  if (typeof error.stack !== "string") return undefined;
  const frames = error.stack.split("\n").filter((line) => /^\s+at /.test(line));
  return [`${type}: ${message}`, ...frames].join("\n");
}

interface ErrorLike {
  readonly message: string;
  readonly stack?: unknown;
  readonly name?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly query?: unknown;
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return (
    value instanceof Error ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { message?: unknown }).message === "string" &&
      typeof (value as { stack?: unknown }).stack === "string")
  );
}

function typeName(error: ErrorLike): string {
  const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof constructorName === "string" && constructorName !== "Object") return constructorName;
  return typeof error.name === "string" ? error.name : "Error";
}

function qualified(schema: string | undefined, table: string | undefined): string | undefined {
  if (!table) return undefined;
  return schema ? `${schema}.${table}` : table;
}

function primitive(value: unknown): string | number | undefined {
  return typeof value === "string" || typeof value === "number" ? value : undefined;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
