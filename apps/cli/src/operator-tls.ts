import { ConfigError, readTlsFiles, type TlsClientOptions } from "@kassa/platform";
import { usageError } from "./cli-error.js";

/**
 * What the operator commands use for `https://` services: `KASSA_TLS_CA_FILE` (the CA the
 * services' certificates are signed by; unset trusts Node's built-in CAs) and, for services
 * with mutual TLS, `KASSA_TLS_CERT_FILE` and `KASSA_TLS_KEY_FILE`. Prefixed, unlike the
 * services' `TLS_*`, so exporting them for the CLI never turns TLS on for `kassa start`.
 * Undefined when none is set. A bad file is a usage error (exit 2) naming the variable.
 */
export function operatorTls(env: NodeJS.ProcessEnv): TlsClientOptions | undefined {
  const setting = (variable: string) => ({ variable, path: env[variable] || undefined });
  const files = {
    cert: setting("KASSA_TLS_CERT_FILE"),
    key: setting("KASSA_TLS_KEY_FILE"),
    ca: setting("KASSA_TLS_CA_FILE"),
  };
  if (!files.cert.path && !files.key.path && !files.ca.path) return undefined;
  try {
    return readTlsFiles(files);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw usageError(error.problems.map((p) => `${p.variable} ${p.message}`).join("; "));
    }
    throw error;
  }
}
