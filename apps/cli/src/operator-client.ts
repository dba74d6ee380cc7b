import type { DescService } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { errorCodeName, presentBearerToken, type Secret } from "@kassa/platform";
import { CliError } from "./cli-error.js";
import { connectionFailure, tlsFailure } from "./connection-failure.js";
import type { ServiceEndpoint } from "./service-endpoints.js";

/**
 * How long one call may take. Operator calls are single reads and writes; a settlement is one
 * transaction. Longer than any service's own dependency deadlines, so theirs fire first.
 */
const callTimeoutMs = 15_000;

/**
 * A Connect client (HTTP/1.1 JSON, as curl speaks it) of one service, presenting the admin
 * token as `authorization: Bearer …`. Every failure comes back as a one-line
 * {@link CliError}: `merchant (http://127.0.0.1:8081) is not reachable: connection refused`,
 * or the RPC's code and message (`CreateMerchant failed: invalid_argument: name: …`).
 * Unary methods only (the operator commands use no streams).
 */
export function operatorClient<S extends DescService>(
  service: S,
  endpoint: ServiceEndpoint,
  token: Secret,
): Client<S> {
  const client = createClient(
    service,
    createConnectTransport({
      baseUrl: endpoint.url,
      httpVersion: "1.1",
      ...(endpoint.tls && { nodeOptions: endpoint.tls }),
      defaultTimeoutMs: callTimeoutMs,
      interceptors: [presentBearerToken(token)],
    }),
  ) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const explained: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of service.methods) {
    const call = client[method.localName];
    if (!call) continue;
    explained[method.localName] = (...args) =>
      call(...args).catch((error: unknown) => {
        throw rpcFailure(error, endpoint, method.name);
      });
  }
  return explained as unknown as Client<S>;
}

/** Turns whatever a call threw into the one line the operator reads. */
export function rpcFailure(error: unknown, endpoint: ServiceEndpoint, method: string): CliError {
  const where = `${endpoint.name} (${endpoint.url})`;
  const refusedTls = tlsFailure(error);
  if (refusedTls) {
    return new CliError(`${where} could not be reached over TLS: ${refusedTls}`, { cause: error });
  }
  const unreachable = connectionFailure(error);
  if (unreachable) {
    return new CliError(`${where} is not reachable: ${unreachable}`, { cause: error });
  }
  const failure = ConnectError.from(error);
  // Connect's own deadline (the server never answered), not a DEADLINE_EXCEEDED it sent.
  if (failure.code === Code.DeadlineExceeded && failure.rawMessage === "the operation timed out") {
    return new CliError(`${where} did not answer ${method} within ${callTimeoutMs / 1000} s`, {
      cause: error,
    });
  }
  const detail = `${method} failed: ${errorCodeName(failure)}: ${failure.rawMessage}`;
  if (failure.code === Code.Unauthenticated) {
    return new CliError(
      `${detail} (${endpoint.name} did not accept the admin token: is KASSA_ADMIN_TOKEN the one the platform runs with?)`,
      { cause: error },
    );
  }
  return new CliError(detail, { cause: error });
}
