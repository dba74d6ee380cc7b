import { Writable } from "node:stream";

/** A log destination that keeps every line, so tests can assert on what was logged. */
export interface LogCapture {
  readonly stream: NodeJS.WritableStream;
  /** Every line written so far. */
  readonly lines: string[];
  /** The `msg` of every JSON line written so far. */
  messages(): string[];
}

/** Creates a {@link LogCapture}. */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return {
    stream,
    lines,
    messages: () => lines.map((line) => (JSON.parse(line) as { msg?: string }).msg ?? ""),
  };
}
