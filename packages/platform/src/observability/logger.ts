import { type Logger, type LoggerOptions, pino } from "pino";
import { serializeError } from "./error-serializer.js";
import { activeTraceIds } from "./tracing.js";

export type { Logger } from "pino";

/** Options for {@link createLogger}. */
export interface LoggerConfig {
  /** The service name, added to every line as `service`. */
  service: string;
  /** Minimum level. Default `info`. */
  level?: LoggerOptions["level"];
  /** Where lines go. Default stdout, written synchronously; tests pass a stream to read them. */
  destination?: NodeJS.WritableStream;
  /** Adds `trace_id` and `span_id` to every line written inside a span (tracing is on). */
  traceIds?: boolean;
}

/**
 * Paths pino replaces with `[redacted]` wherever they appear in a log object: a last line of
 * defence, because secrets and personal data should never be handed to the logger in the
 * first place (they travel as `Secret`s, which print masked). Covers credentials, the
 * customer's data (emails, IPs, device ids), payment-method tokens, and a database error's
 * parameters and detail should one arrive outside `err` (whose serializer drops them).
 */
const redactedPaths = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "paymentMethod",
  "*.paymentMethod",
  "password",
  "*.password",
  "payment_method",
  "*.payment_method",
  "customer",
  "*.customer",
  "email",
  "*.email",
  "ip",
  "*.ip",
  "deviceId",
  "*.deviceId",
  "device_id",
  "*.device_id",
  "params",
  "*.params",
  "parameters",
  "*.parameters",
  "detail",
  "*.detail",
];

/** Creates the JSON logger a service writes every line through. */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? "info",
    base: { service: config.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    // Errors are logged by what failed and where, never the data involved: see serializeError.
    serializers: { err: serializeError, error: serializeError },
    ...(config.traceIds && { mixin: () => activeTraceIds() ?? {} }),
  };
  // Synchronous writes to stdout: lines stay in the order they were logged and none is lost
  // when the process exits or crashes right after logging (pino's default buffers and, on a
  // busy pipe, was seen to reorder the last lines before exit).
  return pino(options, config.destination ?? pino.destination({ dest: 1, sync: true }));
}
