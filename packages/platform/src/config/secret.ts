import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A value that must never be printed: API keys, tokens and passwords in URLs, and the personal
 * and payment data a request carries (emails, IP addresses, device ids, payment-method tokens).
 * Logging, string interpolation, JSON and `util.inspect` all show `[redacted]`, or
 * `[redacted <label>]` when a label says what it holds (`[redacted email]`), so a log line
 * still tells which value was there. Only {@link Secret.reveal} returns the value, so every
 * use is greppable: reveal at the last moment (the query, the hash, the provider call).
 */
export class Secret<T = string> {
  readonly #value: T;
  /**
   * What the value is (`email`), shown in the masked form; not secret. A plain property, not
   * a private field, because pino's redaction clones the objects it walks (own properties
   * only), and a clone must still print masked.
   */
  readonly label: string | undefined;

  constructor(value: T, label?: string) {
    this.#value = value;
    this.label = label;
  }

  /** The real value. Call it at the last moment, where the secret is actually used. */
  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return this.label ? `[redacted ${this.label}]` : REDACTED;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
