import { spawn } from "node:child_process";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { eventually } from "@kassa/platform/testing";
import { describe, expect, it, onTestFinished } from "vitest";
import { createLauncherOutput, serviceLinePrinter } from "./launcher-output.js";

describe("launcher output", () => {
  it("survives a reader that went away: the EPIPE closes it and later lines are dropped", async () => {
    // A real pipe whose reader closes its end and carries on, as a test or `| head` does.
    const reader = spawn(
      process.execPath,
      [
        "--eval",
        "require('node:fs').closeSync(0); console.log('closed'); setInterval(() => {}, 1000)",
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    onTestFinished(() => {
      reader.kill("SIGKILL");
    });
    await once(reader.stdout, "data");
    const output = createLauncherOutput(reader.stdin);
    expect(output.closed).toBe(false);
    // An unhandled EPIPE would fail this test run (vitest reports uncaught errors).
    await eventually(() => {
      output.write("kassa: merchant ready\n");
      expect(output.closed).toBe(true);
    });
    expect(() => output.write("kassa: still supervising\n")).not.toThrow();
  });

  it("prints a service's JSON log line pretty on one line, and every line of an error behind the prefix", () => {
    const stream = new PassThrough();
    const print = serviceLinePrinter(createLauncherOutput(stream), "order │ ", { colorize: false });
    print(JSON.stringify({ level: 30, time: 0, service: "order", msg: "order listening" }));
    print("plain text");
    print(JSON.stringify({ level: 50, time: 0, msg: "failed", err: { message: "boom" } }));
    const lines = String(stream.read()).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^order │ \[[\d:.]+\] INFO: order listening$/);
    expect(lines[1]).toBe("order │ plain text");
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^order │ /);
  });
});
