import { describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.js";
import type { Checker, CheckResult } from "./checker.js";
import { createHealthMonitor, type HealthChange } from "./health-monitor.js";

const logger = createLogger({ service: "test", level: "silent" });

/** A check that takes `ms` to answer and records when it started and finished. */
function timedCheck(
  name: string,
  ms: number,
  log: string[],
  result: Partial<CheckResult> = {},
): Checker {
  return {
    name,
    async check() {
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      log.push(`end ${name}`);
      return { status: "healthy", message: "fine", ...result };
    },
  };
}

describe("HealthMonitor", () => {
  it("re-runs its checks on refresh, before the cached report expires, and tells watchers", async () => {
    let status: CheckResult["status"] = "degraded";
    const monitor = createHealthMonitor({
      checks: [{ name: "dependency:merchant", check: async () => ({ status, message: "" }) }],
      cacheMs: 60_000,
      logger,
    });
    monitor.setPhase("serving");
    expect(await monitor.ready()).toBe(false);
    const changes: HealthChange[] = [];
    monitor.onChange((change) => changes.push(change));
    status = "healthy";
    expect(await monitor.ready()).toBe(false); // the cached report, a minute fresh
    monitor.refresh();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await monitor.ready()).toBe(true);
    expect(changes.at(-1)).toMatchObject({ ready: true, status: "healthy" });
  });

  it("runs checks concurrently: all three start before any finishes", async () => {
    const log: string[] = [];
    const monitor = createHealthMonitor({
      checks: [timedCheck("a", 100, log), timedCheck("b", 100, log), timedCheck("c", 100, log)],
      logger,
    });
    const report = await monitor.report();
    expect(report.status).toBe("healthy");
    expect(log.slice(0, 3).sort()).toEqual(["start a", "start b", "start c"]);
  });

  it("cuts a hanging check at its timeout and counts it unhealthy, without waiting on it", async () => {
    const monitor = createHealthMonitor({
      checks: [
        { name: "hangs", check: () => new Promise(() => {}) },
        { name: "own-timeout", timeoutMs: 30, check: () => new Promise(() => {}) },
      ],
      timeoutMs: 80,
      logger,
    });
    const report = await monitor.report();
    expect(report.status).toBe("unhealthy");
    expect(report.checks).toMatchObject([
      { name: "hangs", status: "unhealthy", message: "timed out after 80 ms" },
      { name: "own-timeout", status: "unhealthy", message: "timed out after 30 ms" },
    ]);
  });

  it("lets a non-critical check only degrade the service", async () => {
    const monitor = createHealthMonitor({
      checks: [
        {
          name: "optional",
          critical: false,
          check: async () => ({ status: "unhealthy", message: "down" }),
        },
        { name: "throws", critical: false, check: async () => Promise.reject(new Error("boom")) },
      ],
      logger,
    });
    const report = await monitor.report();
    expect(report.status).toBe("degraded");
    expect(report.checks.map((c) => [c.name, c.status, c.message])).toEqual([
      ["optional", "degraded", "down"],
      ["throws", "degraded", "boom"],
    ]);
  });

  it("reuses a fresh report, so a storm of probes runs the checks once", async () => {
    let runs = 0;
    const monitor = createHealthMonitor({
      checks: [
        { name: "counted", check: async () => ({ status: "healthy", message: String(++runs) }) },
      ],
      cacheMs: 60_000,
      logger,
    });
    await Promise.all(Array.from({ length: 50 }, () => monitor.report()));
    await monitor.report();
    expect(runs).toBe(1);
  });

  it("is ready only while serving and healthy, and tells listeners each change", async () => {
    let status: CheckResult["status"] = "healthy";
    const monitor = createHealthMonitor({
      checks: [{ name: "switch", check: async () => ({ status, message: status }) }],
      cacheMs: 0,
      // Every result believed at once: this test is about phases and notifications.
      failureThreshold: 1,
      successThreshold: 1,
      logger,
    });
    const changes: HealthChange[] = [];
    monitor.onChange((change) => changes.push(change));

    expect(await monitor.ready()).toBe(false); // starting
    monitor.setPhase("serving");
    expect(await monitor.ready()).toBe(true);
    status = "degraded";
    expect(await monitor.ready()).toBe(false);
    status = "healthy";
    expect(await monitor.ready()).toBe(true);
    monitor.setPhase("draining");
    expect(await monitor.ready()).toBe(false);

    expect(changes.map((c) => `${c.phase}/${c.status}/${c.ready}`)).toEqual([
      "serving/healthy/true",
      "serving/degraded/false",
      "serving/healthy/true",
      "draining/healthy/false",
    ]);
  });

  it("believes a worse result only after 3 in a row, and a recovery after 2 (hysteresis)", async () => {
    const observed: CheckResult["status"][] = [];
    const monitor = createHealthMonitor({
      checks: [
        {
          name: "postgres",
          check: async () => {
            const status = observed.shift() ?? "healthy";
            return { status, message: `it was ${status}` };
          },
        },
      ],
      cacheMs: 0,
      logger,
    });
    monitor.setPhase("serving");
    expect(await monitor.ready()).toBe(true); // the first evaluation, started by going live
    const readiness = async (...results: CheckResult["status"][]) => {
      const seen: boolean[] = [];
      for (const result of results) {
        observed.push(result);
        seen.push(await monitor.ready());
      }
      return seen;
    };

    // One or two slow answers, as under load: still ready, and /health shows what was seen.
    expect(await readiness("healthy", "degraded", "degraded", "healthy")).toEqual([
      true,
      true,
      true,
      true,
    ]);
    observed.push("degraded");
    const report = await monitor.report();
    expect(report.checks[0]).toMatchObject({
      status: "healthy",
      observedStatus: "degraded",
      message: "it was degraded",
    });

    // Sustained: the third bad result in a row takes it out; one good one does not bring it back.
    expect(await readiness("degraded", "unhealthy", "healthy", "degraded")).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(await readiness("healthy", "healthy")).toEqual([false, true]);
  });

  it("believes a check's first recovery at start-up at once: a dependency answering for the first time", async () => {
    let status: CheckResult["status"] = "unhealthy";
    const monitor = createHealthMonitor({
      checks: [{ name: "dependency:order", check: async () => ({ status, message: status }) }],
      cacheMs: 0,
      logger,
    });
    monitor.setPhase("serving");
    expect(await monitor.ready()).toBe(false);
    status = "healthy";
    expect(await monitor.ready()).toBe(true);
    // From then on it has been healthy, and the usual scepticism applies.
    status = "unhealthy";
    expect(await monitor.ready()).toBe(true);
  });
});
