/** What a person reads for the socket errors that mean "nothing answered there". */
const reasons: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  ECONNRESET: "connection reset",
  UND_ERR_SOCKET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/**
 * Why a call never reached a server (`connection refused`, `host not found`…), found in the
 * error's cause chain (Connect and fetch both wrap Node's socket error; a dual-stack connect
 * attempt wraps several in an AggregateError), or undefined when the server was reached.
 */
export function connectionFailure(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== "object" || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && reasons[code]) return reasons[code];
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const reason = connectionFailure(inner, depth + 1);
      if (reason) return reason;
    }
  }
  return connectionFailure(cause, depth + 1);
}
