import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A value that must never be printed: API keys, tokens, passwords in URLs.
 * Logging, string interpolation, JSON and `util.inspect` all show `[redacted]`;
 * only {@link Secret.reveal} returns the value, so every use is greppable.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value. Call it at the last moment, where the secret is actually used. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
