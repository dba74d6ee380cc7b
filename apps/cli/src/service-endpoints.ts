import type { TlsClientOptions } from "@kassa/platform";
import { usageError } from "./cli-error.js";
import { operatorTls } from "./operator-tls.js";
import type { PlatformService } from "./platform-services.js";
import { servicesOnPorts } from "./start-platform.js";

/** Where the operator commands find one service. */
export interface ServiceEndpoint {
  /** Short name: `gateway`, `merchant`… */
  readonly name: string;
  /** Base URL, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /** Its proto service's full name. */
  readonly typeName: string;
  /** Names of the services it calls (whose breakers it reports). */
  readonly dependencies: readonly string[];
  /** For an `https://` URL: the CA to trust and the certificate to present (`KASSA_TLS_*`). */
  readonly tls?: TlsClientOptions;
}

/**
 * The six services as the operator commands reach them, gateway first: `KASSA_<NAME>_URL`
 * when set (e.g. `KASSA_MERCHANT_URL=http://merchant:8081`), else `http://127.0.0.1:<port>` on
 * the ports `kassa start` uses (8080–8085, moved together by `KASSA_PORT_BASE`). `https://`
 * services are called with `KASSA_TLS_CA_FILE` (and `KASSA_TLS_CERT_FILE`/`KASSA_TLS_KEY_FILE`
 * for mutual TLS).
 */
export function serviceEndpoints(env: NodeJS.ProcessEnv): ServiceEndpoint[] {
  let services: PlatformService[];
  try {
    services = servicesOnPorts(env.KASSA_PORT_BASE);
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
  const tls = operatorTls(env);
  return services.map((service) => {
    const variable = `KASSA_${service.name.toUpperCase()}_URL`;
    const configured = env[variable];
    const url = configured ? checkedUrl(variable, configured) : `http://127.0.0.1:${service.port}`;
    return {
      name: service.name,
      url,
      typeName: service.typeName,
      dependencies: service.dependencies,
      ...(tls && url.startsWith("https:") && { tls }),
    };
  });
}

/** One service's endpoint, by short name. */
export function serviceEndpoint(env: NodeJS.ProcessEnv, name: string): ServiceEndpoint {
  const endpoint = serviceEndpoints(env).find((candidate) => candidate.name === name);
  if (!endpoint) throw new Error(`no service named ${name}`);
  return endpoint;
}

function checkedUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${variable} must be a URL like http://127.0.0.1:8081 (got "${value}")`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`${variable} must be an http:// or https:// URL (got "${value}")`);
  }
  // Without the trailing slash, so `${url}/health` and messages read naturally.
  return value.replace(/\/+$/, "");
}
