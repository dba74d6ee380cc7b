import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TlsOptions } from "node:tls";
import { ConfigError, type ConfigProblem } from "../config/config-error.js";

/** The TLS variables of `baseEnvSchema`, as parsed. */
export interface TlsConfig {
  readonly TLS_CERT_FILE?: string | undefined;
  readonly TLS_KEY_FILE?: string | undefined;
  readonly TLS_CA_FILE?: string | undefined;
  readonly TLS_CLIENT_AUTH: "none" | "require";
}

/**
 * What a client needs to call a TLS server: whom to trust and, for mutual TLS, what to
 * present. The fields are Node's own (`tls.connect`, `http2.connect`, `https.request`).
 */
export interface TlsClientOptions {
  /** CA certificates trusted instead of Node's built-in list. Unset: the built-in list. */
  readonly ca?: Buffer;
  /** Certificate chain presented when a server asks for one. */
  readonly cert?: Buffer;
  /** Private key of `cert`. */
  readonly key?: Buffer;
}

/** A service's TLS variables with their files read and checked. */
export interface TlsSettings {
  /** The one port's TLS options (identity, and client verification); undefined: cleartext. */
  readonly server: TlsOptions | undefined;
  /** Used for every `https://` dependency. */
  readonly client: TlsClientOptions;
}

/** One variable naming a PEM file, e.g. `{ variable: "TLS_CA_FILE", path: "/certs/ca.crt" }`. */
export interface TlsFileSetting {
  readonly variable: string;
  readonly path: string | undefined;
}

/**
 * How the TLS variables fit together, without reading any file: a certificate needs its key
 * and the other way round, and mutual TLS needs the port on TLS and a CA to verify callers
 * against. A CA alone is fine: the port stays cleartext and https:// dependencies are
 * verified against it.
 */
export function tlsConfigProblems(config: TlsConfig): ConfigProblem[] {
  const problems = pairProblems(
    { variable: "TLS_CERT_FILE", path: config.TLS_CERT_FILE },
    { variable: "TLS_KEY_FILE", path: config.TLS_KEY_FILE },
  );
  if (config.TLS_CLIENT_AUTH === "require") {
    const because = "is required when TLS_CLIENT_AUTH=require";
    if (!config.TLS_CERT_FILE && !config.TLS_KEY_FILE) {
      problems.push(
        { variable: "TLS_CERT_FILE", message: `${because} (the port must serve TLS)` },
        { variable: "TLS_KEY_FILE", message: because },
      );
    }
    if (!config.TLS_CA_FILE) {
      problems.push({
        variable: "TLS_CA_FILE",
        message: `${because} (client certificates are verified against it)`,
      });
    }
  }
  return problems;
}

/**
 * Reads a service's certificate, key and CA once, at start-up, and builds the one port's
 * and the dependency clients' options from them. With TLS_CLIENT_AUTH=require the port
 * demands a certificate signed by TLS_CA_FILE. The service's own certificate is offered to
 * every https:// dependency (a TLS client only sends it when the server asks), so a gateway
 * can face the public without mutual TLS and still call internal services that require it.
 *
 * @throws ConfigError naming each variable that is missing, unreadable or not what it should be.
 */
export function loadTlsSettings(config: TlsConfig): TlsSettings {
  const problems = tlsConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  const files = readTlsFiles({
    cert: { variable: "TLS_CERT_FILE", path: config.TLS_CERT_FILE },
    key: { variable: "TLS_KEY_FILE", path: config.TLS_KEY_FILE },
    ca: { variable: "TLS_CA_FILE", path: config.TLS_CA_FILE },
  });
  const mutual = config.TLS_CLIENT_AUTH === "require";
  const server: TlsOptions | undefined =
    files.cert && files.key
      ? {
          cert: files.cert,
          key: files.key,
          ...(mutual && { ca: files.ca, requestCert: true, rejectUnauthorized: true }),
        }
      : undefined;
  return { server, client: files };
}

/**
 * Reads PEM files named by variables and checks each holds what it should: certificates
 * (`cert`, `ca`), an unencrypted private key (`key`) matching `cert`. A certificate without
 * its key, or a key without its certificate, is refused. The operator CLI reads its own
 * variables (`KASSA_TLS_*`) with it.
 *
 * @throws ConfigError naming each variable whose file is missing, unreadable or wrong.
 */
export function readTlsFiles(files: {
  cert: TlsFileSetting;
  key: TlsFileSetting;
  ca: TlsFileSetting;
}): TlsClientOptions {
  const problems = pairProblems(files.cert, files.key);
  const read = (setting: TlsFileSetting): Buffer | undefined => {
    if (!setting.path) return undefined;
    try {
      return readFileSync(setting.path);
    } catch (error) {
      problems.push({ variable: setting.variable, message: `cannot be read (${reasonOf(error)})` });
      return undefined;
    }
  };
  const parse = <T>(setting: TlsFileSetting, pem: Buffer | undefined, as: (pem: Buffer) => T) => {
    if (!pem) return undefined;
    try {
      return as(pem);
    } catch {
      problems.push({
        variable: setting.variable,
        message:
          setting === files.key
            ? "does not hold an unencrypted PEM private key"
            : "does not hold a PEM certificate",
      });
      return undefined;
    }
  };
  const cert = read(files.cert);
  const key = read(files.key);
  const ca = read(files.ca);
  const certificate = parse(files.cert, cert, (pem) => new X509Certificate(pem));
  const privateKey = parse(files.key, key, (pem) => createPrivateKey(pem));
  parse(files.ca, ca, (pem) => new X509Certificate(pem));
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
    problems.push({
      variable: files.key.variable,
      message: `does not match the certificate in ${files.cert.variable}`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...(ca && { ca }), ...(cert && key && { cert, key }) };
}

/** A certificate needs its key, and a key its certificate. */
function pairProblems(cert: TlsFileSetting, key: TlsFileSetting): ConfigProblem[] {
  const [present, missing] = cert.path ? [cert, key] : [key, cert];
  return present.path && !missing.path
    ? [{ variable: missing.variable, message: `is required with ${present.variable}` }]
    : [];
}

const readReasons: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
};

/** Why a file could not be read, without its path (the problem already names the variable). */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? (readReasons[code] ?? code) : String(error);
}
