import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { eventually } from "@kassa/platform/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createServiceSupervisor,
  type RestartPolicy,
  type ServiceSupervisor,
  type SupervisedService,
  type SupervisorEvent,
} from "./service-supervisor.js";
import { fakeService } from "./testing/fake-service.test-support.js";

const running: ServiceSupervisor[] = [];
afterEach(async () => {
  // Whatever a test left running is killed (a second stop), so no fake outlives its test.
  for (const supervisor of running.splice(0)) {
    supervisor.stop();
    supervisor.stop();
    await supervisor.finished;
  }
});

let scratch = "";
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "kassa-supervisor-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Starts a supervisor over `services`, recording its events and the services' output. */
function supervise(
  services: readonly SupervisedService[],
  policy: Partial<RestartPolicy> = {},
  startTogether = false,
) {
  const events: SupervisorEvent[] = [];
  const output: string[] = [];
  const supervisor = createServiceSupervisor({
    services,
    policy,
    startTogether,
    readyPollMs: 20,
    onEvent: (event) => events.push(event),
    onOutput: (service, line) => output.push(`${service}: ${line}`),
  });
  running.push(supervisor);
  supervisor.start();
  const position = (type: SupervisorEvent["type"], service: string, nth = 1) => {
    let seen = 0;
    return events.findIndex((e) => e.type === type && e.service === service && ++seen === nth);
  };
  const state = (name: string) => supervisor.states().find((s) => s.name === name);
  return { supervisor, events, output, position, state };
}

describe("service supervisor", () => {
  it("starts a service once every service it calls is ready, and the independent ones together", async () => {
    const gate = path.join(scratch, "a-ready");
    const run = supervise([
      await fakeService("a", { readyFile: gate }),
      await fakeService("b"),
      await fakeService("c", { dependencies: ["a", "b"] }),
    ]);
    // b is ready and a answered "not ready": c must still be waiting.
    await eventually(() => {
      expect(run.state("b")?.phase).toBe("ready");
      expect(run.output).toContain("a: a answered not ready");
    });
    expect(run.state("c")).toMatchObject({ phase: "waiting", restarts: 0 });
    expect(run.state("c")?.pid).toBeUndefined();
    // a and b were both started before either was ready.
    expect(run.position("started", "b")).toBeLessThan(run.position("ready", "b"));
    expect(run.position("started", "a")).toBeLessThan(run.position("ready", "b"));

    await writeFile(gate, "");
    expect(await run.supervisor.allReady).toBe(true);
    expect(run.position("started", "c")).toBeGreaterThan(run.position("ready", "a"));
    expect(run.supervisor.states().map((s) => [s.name, s.phase])).toEqual([
      ["a", "ready"],
      ["b", "ready"],
      ["c", "ready"],
    ]);
  });

  it("starts every service at once with startTogether, each reported ready on its own", async () => {
    const gate = path.join(scratch, "a-ready-together");
    const run = supervise(
      [
        await fakeService("a", { readyFile: gate }),
        await fakeService("c", { dependencies: ["a"] }),
      ],
      {},
      true,
    );
    await eventually(() => expect(run.state("c")?.phase).toBe("ready"));
    expect(run.state("a")?.phase).toBe("starting");
    await writeFile(gate, "");
    expect(await run.supervisor.allReady).toBe(true);
  });

  it("restarts a service that dies, counting restarts, after a backoff that doubles up to its cap", async () => {
    const run = supervise(
      [await fakeService("a"), await fakeService("b", { dependencies: ["a"] })],
      {
        initialBackoffMs: 50,
        maxBackoffMs: 120,
      },
    );
    expect(await run.supervisor.allReady).toBe(true);
    const dependentPid = run.state("b")?.pid;

    for (let restart = 1; restart <= 3; restart++) {
      const pid = run.state("a")?.pid ?? 0;
      process.kill(pid, "SIGKILL");
      await eventually(() => {
        expect(run.state("a")).toMatchObject({ phase: "ready", restarts: restart });
        expect(run.state("a")?.pid).not.toBe(pid);
      });
    }
    const crashes = run.events.filter((e) => e.type === "crashed");
    expect(crashes).toMatchObject([
      { service: "a", failedStarts: 0, restartInMs: 50, exit: { code: null, signal: "SIGKILL" } },
      { service: "a", failedStarts: 0, restartInMs: 100 },
      { service: "a", failedStarts: 0, restartInMs: 120 },
    ]);
    expect(run.state("a")?.lastExit).toMatchObject({ code: null, signal: "SIGKILL" });
    // Its dependent kept running throughout.
    expect(run.state("b")).toMatchObject({ phase: "ready", restarts: 0, pid: dependentPid });
  });

  it("gives up on a service that keeps dying before it is ready, and stops the others (exit 1)", async () => {
    const run = supervise(
      [
        await fakeService("a"),
        await fakeService("b", { mode: "crash-at-start" }),
        await fakeService("c", { dependencies: ["b"] }),
      ],
      { initialBackoffMs: 10, maxFailedStarts: 3 },
    );
    expect(await run.supervisor.finished).toBe(1);
    expect(await run.supervisor.allReady).toBe(false);
    expect(run.events.filter((e) => e.service === "b").map((e) => e.type)).toEqual([
      "started",
      "crashed",
      "started",
      "crashed",
      "started",
      "gave-up",
    ]);
    expect(run.events.find((e) => e.type === "gave-up")).toMatchObject({
      service: "b",
      failedStarts: 3,
      exit: { code: 1, signal: null },
    });
    expect(run.output).toContain("b: b: failed to start: invalid configuration");
    // a (if it got to run) was drained; c, which needs b, never ran.
    expect(run.events.filter((e) => e.type === "stopped" && !e.clean)).toEqual([]);
    expect(run.position("started", "c")).toBe(-1);
    expect(run.supervisor.states().every((s) => s.phase === "stopped" && !s.pid)).toBe(true);
  });

  it("drains every service on stop, dependents first, and finishes with 0", async () => {
    const run = supervise([
      await fakeService("a"),
      await fakeService("b", { dependencies: ["a"] }),
      await fakeService("c", { dependencies: ["b"] }),
    ]);
    expect(await run.supervisor.allReady).toBe(true);
    const pids = run.supervisor.states().map((s) => s.pid ?? 0);
    run.supervisor.stop();
    expect(await run.supervisor.finished).toBe(0);
    expect(run.events.filter((e) => e.type === "stopped")).toMatchObject([
      { service: "c", clean: true, exit: { code: 0 } },
      { service: "b", clean: true, exit: { code: 0 } },
      { service: "a", clean: true, exit: { code: 0 } },
    ]);
    expect(run.output).toEqual(expect.arrayContaining(["a: a stopped", "c: c stopped"]));
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });

  it("kills on a second stop a service that does not drain, and finishes with 1", async () => {
    const run = supervise([await fakeService("a", { mode: "ignore-sigterm" })]);
    expect(await run.supervisor.allReady).toBe(true);
    run.supervisor.stop();
    await eventually(() => expect(run.output).toContain("a: a ignores SIGTERM"));
    expect(run.state("a")?.phase).toBe("stopping");
    run.supervisor.stop();
    expect(await run.supervisor.finished).toBe(1);
    expect(run.events.at(-1)).toMatchObject({
      type: "stopped",
      service: "a",
      clean: false,
      exit: { signal: "SIGKILL" },
    });
  });

  it("cancels a pending restart on stop", async () => {
    const run = supervise([await fakeService("a")], { initialBackoffMs: 3_600_000 });
    expect(await run.supervisor.allReady).toBe(true);
    process.kill(run.state("a")?.pid ?? 0, "SIGKILL");
    await eventually(() => expect(run.state("a")?.phase).toBe("backoff"));
    run.supervisor.stop();
    expect(await run.supervisor.finished).toBe(0);
    expect(run.state("a")).toMatchObject({ phase: "stopped", restarts: 0 });
    expect(run.events.filter((e) => e.type === "started")).toHaveLength(1);
  });

  it("refuses a dependency it does not supervise, and a cycle", async () => {
    const a = await fakeService("a", { dependencies: ["b"] });
    const b = await fakeService("b", { dependencies: ["a"] });
    const options = { onEvent: () => {}, onOutput: () => {} };
    expect(() => createServiceSupervisor({ services: [a], ...options })).toThrow(
      "a depends on b, which is not supervised",
    );
    expect(() => createServiceSupervisor({ services: [a, b], ...options })).toThrow(
      "dependency cycle among a, b",
    );
  });
});
