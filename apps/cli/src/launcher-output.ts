import { prettyFactory } from "pino-pretty";

/** Where `kassa start` prints: its own lines and its services' logs. */
export interface LauncherOutput {
  /** Writes `text`, or drops it once the stream is gone. Never throws. */
  write(text: string): void;
  /** Whether the stream failed (e.g. EPIPE: whoever read it went away); writes are dropped. */
  readonly closed: boolean;
}

/**
 * Wraps the launcher's stdout so that a reader going away (a closed pipe, `| head`, a test
 * closing its end) can never crash the launcher: the first error marks the output closed and
 * every later line is dropped, while the launcher keeps supervising its services.
 */
export function createLauncherOutput(stream: NodeJS.WritableStream): LauncherOutput {
  let closed = false;
  // An EPIPE arrives as an "error" event after the write; unhandled it would end the process.
  stream.on("error", () => {
    closed = true;
  });
  return {
    write(text) {
      if (closed) return;
      try {
        // A stream already destroyed reports it only to the callback.
        stream.write(text, (error) => {
          if (error) closed = true;
        });
      } catch {
        closed = true;
      }
    },
    get closed() {
      return closed;
    },
  };
}

/**
 * A printer of one service's output lines: JSON log lines pretty-printed on one line (anything
 * else passed through), each behind `prefix`, e.g. `merchant   │ `.
 */
export function serviceLinePrinter(
  output: LauncherOutput,
  prefix: string,
  options: { colorize: boolean },
): (line: string) => void {
  const pretty = prettyFactory({
    colorize: options.colorize,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,service",
    singleLine: true,
  });
  return (line) => {
    // Nobody reads any more: skip the formatting, the lines are dropped anyway.
    if (output.closed) return;
    let text = line;
    if (line.startsWith("{")) {
      try {
        text = pretty(JSON.parse(line)).trimEnd();
      } catch {
        // Not JSON after all: print it as it is.
      }
    }
    // A pretty-printed error spans several lines: each gets the prefix, so none looks orphaned.
    output.write(`${prefix}${text.replaceAll("\n", `\n${prefix}`)}\n`);
  };
}
