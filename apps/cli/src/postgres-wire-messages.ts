// The few pieces of the Postgres wire protocol (version 3) the embedded server needs: cutting a
// client's byte stream into messages, scoping prepared statement and portal names to one
// connection, and reading a response's transaction status.
// https://www.postgresql.org/docs/current/protocol-message-formats.html

/** The codes of the untyped messages a connection may open with (length, then this code). */
export const startupCodes = {
  protocol3: 196_608,
  sslRequest: 80_877_103,
  gssEncRequest: 80_877_104,
  cancelRequest: 80_877_102,
} as const;

/** One message a client sent: its type byte (a letter) and the whole message, type included. */
export interface FrontendMessage {
  readonly type: string;
  readonly bytes: Buffer;
}

/**
 * Collects a client's bytes and cuts them into whole messages: the first one untyped (startup,
 * SSL or cancel request), every later one typed. Bytes of an incomplete message wait for more.
 */
export interface FrontendMessageReader {
  /** Appends `chunk`; returns the messages it completed (the untyped one has type ""). */
  push(chunk: Buffer): FrontendMessage[];
  /** Whether the next message is untyped: until the startup message has been read. */
  readonly awaitingStartup: boolean;
}

/** A {@link FrontendMessageReader} for a new connection. */
export function createFrontendMessageReader(): FrontendMessageReader {
  let pending: Buffer = Buffer.alloc(0);
  let awaitingStartup = true;
  return {
    get awaitingStartup() {
      return awaitingStartup;
    },
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const messages: FrontendMessage[] = [];
      for (;;) {
        const typed = !awaitingStartup;
        const header = typed ? 5 : 4;
        if (pending.length < header) break;
        const length = pending.readInt32BE(typed ? 1 : 0) + (typed ? 1 : 0);
        if (length < header - (typed ? 1 : 0) || pending.length < length) break;
        const bytes = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (typed) {
          messages.push({ type: String.fromCharCode(bytes[0] ?? 0), bytes });
        } else {
          // SSL and GSS requests come before the startup message, on the same connection.
          const code = bytes.length >= 8 ? bytes.readInt32BE(4) : 0;
          if (code === startupCodes.protocol3 || code === startupCodes.cancelRequest) {
            awaitingStartup = false;
          }
          messages.push({ type: "", bytes });
        }
      }
      return messages;
    },
  };
}

/** The code of an untyped message (see {@link startupCodes}). */
export function startupCode(message: FrontendMessage): number {
  return message.bytes.length >= 8 ? message.bytes.readInt32BE(4) : 0;
}

/**
 * The message with every non-empty prepared statement and portal name prefixed with `prefix`
 * (Parse, Bind, Describe, Execute, Close); any other message as it is. The unnamed statement
 * and portal stay unnamed: they live only until the next one, and a connection's messages up
 * to its Sync are never interleaved with another's.
 */
export function scopeNames(message: FrontendMessage, prefix: string): FrontendMessage {
  const { type, bytes } = message;
  switch (type) {
    case "P": // Parse: statement name, query, parameter types
      return rewriteNames(message, prefix, 5, 1);
    case "B": // Bind: portal name, statement name, the rest
      return rewriteNames(message, prefix, 5, 2);
    case "E": // Execute: portal name, row limit
      return rewriteNames(message, prefix, 5, 1);
    case "D": // Describe and Close: 'S' or 'P', then the name
    case "C":
      return bytes.length > 6 ? rewriteNames(message, prefix, 6, 1) : message;
    default:
      return message;
  }
}

/** The name a Close ('S') or Parse message gives its statement, unprefixed; "" for none. */
export function statementName(message: FrontendMessage): string | undefined {
  if (message.type === "P") return cString(message.bytes, 5).value;
  if (message.type === "C" && message.bytes[5] === 0x53) return cString(message.bytes, 6).value;
  return undefined;
}

function rewriteNames(
  message: FrontendMessage,
  prefix: string,
  start: number,
  count: number,
): FrontendMessage {
  const { bytes } = message;
  const parts: Buffer[] = [bytes.subarray(0, start)];
  let offset = start;
  for (let i = 0; i < count; i++) {
    const { value, end } = cString(bytes, offset);
    parts.push(Buffer.from(value === "" ? "\0" : `${prefix}${value}\0`, "utf8"));
    offset = end;
  }
  parts.push(bytes.subarray(offset));
  const rewritten = Buffer.concat(parts);
  rewritten.writeInt32BE(rewritten.length - 1, 1);
  return { type: message.type, bytes: rewritten };
}

function cString(bytes: Buffer, offset: number): { value: string; end: number } {
  const zero = bytes.indexOf(0, offset);
  const end = zero === -1 ? bytes.length : zero;
  return { value: bytes.toString("utf8", offset, end), end: end + 1 };
}

/**
 * The transaction status of the last ReadyForQuery in a backend response: `I` idle, `T` in a
 * transaction, `E` in a failed transaction; undefined when the response holds none (a batch
 * ended by Flush rather than Sync).
 */
export function lastReadyStatus(response: Uint8Array): "I" | "T" | "E" | undefined {
  const view = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  let status: "I" | "T" | "E" | undefined;
  for (let offset = 0; offset + 5 <= view.length; ) {
    const length = view.readInt32BE(offset + 1);
    if (view[offset] === 0x5a && length === 5 && offset + 6 <= view.length) {
      status = String.fromCharCode(view[offset + 5] ?? 0) as "I" | "T" | "E";
    }
    offset += 1 + length;
  }
  return status;
}

function typedMessage(type: string, body: Buffer): Buffer {
  const message = Buffer.alloc(5 + body.length);
  message.write(type, 0, "latin1");
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return message;
}

/** A simple Query message. */
export function queryMessage(sql: string): Buffer {
  return typedMessage("Q", Buffer.from(`${sql}\0`, "utf8"));
}

/** A Sync message. */
export const syncMessage: Buffer = typedMessage("S", Buffer.alloc(0));

/** A Close message for the prepared statement `name` (as the backend knows it). */
export function closeStatementMessage(name: string): Buffer {
  return typedMessage("C", Buffer.from(`S${name}\0`, "utf8"));
}

/** An ErrorResponse, as the backend would send it before closing a connection. */
export function errorResponseMessage(error: {
  severity: "ERROR" | "FATAL";
  code: string;
  message: string;
}): Buffer {
  const fields = [
    `S${error.severity}`,
    `V${error.severity}`,
    `C${error.code}`,
    `M${error.message}`,
  ];
  return typedMessage("E", Buffer.from(`${fields.join("\0")}\0\0`, "utf8"));
}
