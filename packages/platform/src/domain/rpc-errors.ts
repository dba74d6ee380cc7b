import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The closed catalogue of errors Kassa services answer with. Every message names what is
 * wrong in words a client developer can act on, and never includes a secret or internal
 * detail. Use these instead of building ConnectErrors by hand, so codes stay consistent.
 */
export const rpcErrors = {
  /** A request field is missing or malformed: `amount: must be greater than 0`. */
  invalidArgument: (field: string, problem: string) =>
    new ConnectError(`${field}: ${problem}`, Code.InvalidArgument),

  /** The object does not exist, or belongs to someone else (never PERMISSION_DENIED for that). */
  notFound: (what: string, id: string) =>
    new ConnectError(`${what} ${id} not found`, Code.NotFound),

  /** An idempotency key or natural key is already used by a different request. */
  alreadyExists: (message: string) => new ConnectError(message, Code.AlreadyExists),

  /** The object is not in a state that allows this: `order ord_… is PAID; it cannot be cancelled`. */
  failedPrecondition: (message: string) => new ConnectError(message, Code.FailedPrecondition),

  /** Missing or wrong credentials. Says which kind is needed, never what was sent. */
  unauthenticated: (message: string) => new ConnectError(message, Code.Unauthenticated),

  /** Valid credentials that may not do this (e.g. a suspended merchant). */
  permissionDenied: (message: string) => new ConnectError(message, Code.PermissionDenied),

  /** A rate limit or quota is used up; retry later. */
  resourceExhausted: (message: string) => new ConnectError(message, Code.ResourceExhausted),

  /** The caller's deadline ran out before the request could be done; nothing was done. */
  deadlineExceeded: (message: string) => new ConnectError(message, Code.DeadlineExceeded),

  /** A dependency cannot be reached; nothing was done, so retrying is safe. */
  unavailable: (message: string) => new ConnectError(message, Code.Unavailable),

  /** The RPC exists in the contract but not yet in this release. */
  unimplemented: (message: string) => new ConnectError(message, Code.Unimplemented),
} as const;
