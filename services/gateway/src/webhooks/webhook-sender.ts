import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedAddress, WebhookAddressPolicy } from "./webhook-address-policy.js";

/** How much of an answer's body is kept with the attempt. */
const keptBodyBytes = 1024;

/** A receiver's answer to one POST, or why none came. */
export interface WebhookResponse {
  /** Undefined when no answer came. */
  readonly statusCode?: number;
  /** The first 1 KiB of the body. */
  readonly responseBody?: string;
  /** Why the attempt failed before an answer (refused address, timeout, connection error). */
  readonly error?: string;
  readonly latencyMs: number;
}

/** POSTs webhook payloads. */
export interface WebhookSender {
  /**
   * POSTs `body` to `url` with `headers`. Never throws: every outcome, answer or not, comes
   * back as a {@link WebhookResponse}. `signal` cuts it short (shutdown).
   */
  send(
    url: string,
    body: string,
    headers: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<WebhookResponse>;
}

/**
 * POSTs with node:http(s) to the address the policy checked: the host is resolved and judged
 * once, and the connection's `lookup` answers that same address, so the name cannot resolve
 * elsewhere in between (DNS rebinding). TLS still verifies the certificate against the host
 * name. Redirects are not followed (a 3xx is a failed attempt), so a receiver cannot bounce the
 * request to a private address. Each attempt has `timeoutMs` for everything: lookup, connect,
 * send and the answer.
 */
export function createWebhookSender(options: {
  addressPolicy: WebhookAddressPolicy;
  timeoutMs: number;
}): WebhookSender {
  return {
    async send(target, body, headers, signal) {
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
      const url = new URL(target);
      let address: ResolvedAddress;
      try {
        address = await options.addressPolicy.resolve(url);
      } catch (error) {
        return { error: `not sent: ${(error as Error).message}`, latencyMs: elapsed() };
      }
      if (deadline.aborted) return { error: timeoutError(options.timeoutMs), latencyMs: elapsed() };
      return new Promise<WebhookResponse>((resolve) => {
        let settled = false;
        const settle = (response: WebhookResponse) => {
          if (settled) return;
          settled = true;
          resolve(response);
        };
        const client = url.protocol === "https:" ? https : http;
        const request = client.request(
          url,
          {
            method: "POST",
            headers: {
              ...headers,
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              "user-agent": "Kassa-Webhooks/1.0",
            },
            lookup: pinnedLookup(address),
            // A fresh connection per attempt: a pooled socket could lead elsewhere.
            agent: false,
            signal: deadline,
          },
          (response) => {
            const chunks: Buffer[] = [];
            let kept = 0;
            const finish = () => {
              settle({
                statusCode: response.statusCode ?? 0,
                responseBody: Buffer.concat(chunks).subarray(0, keptBodyBytes).toString("utf8"),
                latencyMs: elapsed(),
              });
              response.destroy();
            };
            response.on("data", (chunk: Buffer) => {
              chunks.push(chunk);
              kept += chunk.length;
              // Enough is kept: the rest of a long (or endless) body is not waited for.
              if (kept >= keptBodyBytes) finish();
            });
            response.on("end", finish);
            response.on("error", finish);
          },
        );
        request.on("error", (error) => {
          settle({
            error:
              deadline.aborted && !signal.aborted ? timeoutError(options.timeoutMs) : error.message,
            latencyMs: elapsed(),
          });
        });
        request.end(body);
      });
    },
  };
}

/** A `lookup` that answers the already checked address, whatever it is asked. */
function pinnedLookup(address: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  };
}

function timeoutError(timeoutMs: number): string {
  return `no answer within ${timeoutMs} ms`;
}
