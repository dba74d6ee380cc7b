import http from "node:http";
import https from "node:https";
import type { TlsClientOptions } from "./tls-settings.js";

/** A request for {@link fetchWithTls}. */
export interface FetchWithTlsInit {
  /** Default `GET`. */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Used for an https:// URL: the CA to trust and, for mutual TLS, the certificate to present. */
  tls?: TlsClientOptions | undefined;
  /** Aborting it rejects the call with the signal's reason (e.g. a `TimeoutError`). */
  signal?: AbortSignal;
}

/** The answer of {@link fetchWithTls}, body read whole. */
export interface FetchWithTlsResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One HTTP/1.1 request to a Kassa port (`/health`, `/metrics`, Connect JSON), over TLS for an
 * https:// URL. Node's global `fetch` cannot be given a CA or a client certificate without
 * undici's `Agent` (not a dependency here), so this uses `node:https`, which takes them.
 * A connection or TLS failure rejects with Node's error (its `code` says which).
 */
export function fetchWithTls(
  url: string,
  init: FetchWithTlsInit = {},
): Promise<FetchWithTlsResponse> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const { signal } = init;
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(signal?.aborted ? signal.reason : error);
    const request = (secure ? https : http).request(
      target,
      {
        method: init.method ?? "GET",
        headers: init.headers ?? {},
        ...(secure && init.tls),
        // One connection per call, closed after it: nothing pooled outlives a short-lived caller.
        agent: false,
        ...(signal && { signal }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", fail);
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    request.on("error", fail);
    request.end(init.body);
  });
}
