/**
 * A failure the operator should read as one line (`kassa: <message>`), with no stack trace:
 * a service that is down, an RPC error, a missing token, a malformed argument. main.ts prints
 * the message and exits with `exitCode`; anything else that is thrown is a bug.
 */
export class CliError extends Error {
  /** The process exit code: 1 for a failed operation, 2 for a usage mistake. */
  readonly exitCode: number;
  /** The command already told the operator (e.g. `kassa status`'s verdict): print nothing. */
  readonly quiet: boolean;

  constructor(
    message: string,
    options: { exitCode?: number; quiet?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode ?? 1;
    this.quiet = options.quiet ?? false;
  }
}

/** Names a usage mistake the parser cannot catch (a bad amount, a bad time): exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, { exitCode: 2 });
}
