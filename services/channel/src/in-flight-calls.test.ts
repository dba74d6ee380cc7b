import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createInFlightCalls } from "./in-flight-calls.js";

describe("in-flight calls", () => {
  it("lets a duplicate wait until the first call has finished", async () => {
    const calls = createInFlightCalls();
    const events: string[] = [];
    let finish = () => {};
    const first = calls.run(
      "ch_1",
      () =>
        new Promise<void>((resolve) => {
          finish = () => {
            events.push("first finished");
            resolve();
          };
        }),
    );
    const duplicate = calls.waitFor("ch_1", new AbortController().signal).then((waited) => {
      events.push(`duplicate waited: ${waited}`);
    });
    finish();
    await Promise.all([first, duplicate]);
    expect(events).toEqual(["first finished", "duplicate waited: true"]);
    // Once finished, the call is no longer in flight.
    expect(await calls.waitFor("ch_1", new AbortController().signal)).toBe(false);
  });

  it("waits for a first call that failed too, without failing itself", async () => {
    const calls = createInFlightCalls();
    const first = calls.run("ch_2", async () => {
      throw new Error("provider exploded");
    });
    const waited = calls.waitFor("ch_2", new AbortController().signal);
    await expect(first).rejects.toThrow("provider exploded");
    expect(await waited).toBe(true);
  });

  it("answers false at once when no call runs under the id", async () => {
    expect(await createInFlightCalls().waitFor("ch_3", new AbortController().signal)).toBe(false);
  });

  it("gives up with the caller's deadline when it passes first", async () => {
    const calls = createInFlightCalls();
    void calls.run("ch_4", () => new Promise(() => {}));
    const deadline = new AbortController();
    const waiting = calls.waitFor("ch_4", deadline.signal);
    deadline.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    await expect(waiting).rejects.toMatchObject({ code: Code.DeadlineExceeded });
  });
});
