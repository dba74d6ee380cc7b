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

const untrusted =
  "its certificate is not signed by a CA we trust (set KASSA_TLS_CA_FILE to the CA that signed it)";
const notAccepted = "it did not accept our client certificate (KASSA_TLS_CERT_FILE)";

/** What a person reads for Node's TLS errors, from either end of the handshake. */
const tlsReasons: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: untrusted,
  UNABLE_TO_GET_ISSUER_CERT: untrusted,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: untrusted,
  SELF_SIGNED_CERT_IN_CHAIN: untrusted,
  DEPTH_ZERO_SELF_SIGNED_CERT: untrusted,
  ERR_TLS_CERT_ALTNAME_INVALID: "its certificate does not name this host",
  CERT_HAS_EXPIRED: "its certificate has expired",
  CERT_NOT_YET_VALID: "its certificate is not valid yet",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    "it requires a client certificate (set KASSA_TLS_CERT_FILE and KASSA_TLS_KEY_FILE)",
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: notAccepted,
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: notAccepted,
  ERR_SSL_WRONG_VERSION_NUMBER: "it does not speak TLS (use an http:// URL)",
};

/**
 * Why a call never reached a server (`connection refused`, `host not found`…), found in the
 * error's cause chain (Connect and fetch both wrap Node's socket error; a dual-stack connect
 * attempt wraps several in an AggregateError), or undefined when the server was reached.
 */
export function connectionFailure(error: unknown): string | undefined {
  return reasonIn(error, reasons);
}

/**
 * Why a TLS handshake failed (an untrusted certificate, a client certificate required or
 * refused, a cleartext port), found like {@link connectionFailure}, or undefined.
 */
export function tlsFailure(error: unknown): string | undefined {
  return reasonIn(error, tlsReasons);
}

function reasonIn(
  error: unknown,
  table: Readonly<Record<string, string>>,
  depth = 0,
): string | undefined {
  if (depth > 5 || typeof error !== "object" || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && table[code]) return table[code];
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const reason = reasonIn(inner, table, depth + 1);
      if (reason) return reason;
    }
  }
  return reasonIn(cause, table, depth + 1);
}
