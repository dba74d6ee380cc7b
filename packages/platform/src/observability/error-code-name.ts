import { ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";

/**
 * The wire name of an error's code (`unavailable`, `not_found`…) for logs and metric labels;
 * anything that is not a ConnectError is `internal`, which is what a caller would see.
 */
export function errorCodeName(error: unknown): string {
  return error instanceof ConnectError ? codeToString(error.code) : "internal";
}
