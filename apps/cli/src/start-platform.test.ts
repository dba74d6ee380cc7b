import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import { eventually, freePortRange } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { platformServices } from "./platform-services.js";
import type { SupervisedProcess, SupervisorState } from "./supervisor-state.js";
import { runKassa } from "./testing/cli-platform.test-support.js";

// `kassa start` exactly as `npm start` runs it, in embedded mode (no DATABASE_URL/REDIS_URL), on
// six free consecutive ports (KASSA_PORT_BASE) and a fresh data directory. Starting the embedded
// Postgres and six services takes seconds on an idle development box and much longer under load:
// every wait below is for a state, with ceilings far above that, and nothing is timed.
const cli = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** A test or hook that starts the embedded platform: time for a slow, loaded box. */
const platformTimeoutMs = 8 * 60_000;
/** How long a first start may take before the test gives up on it. */
const startCeilingMs = 6 * 60_000;
/** How long a killed service may take to be back and serving. */
const recoveryCeilingMs = 3 * 60_000;

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/** Whether a process runs (a zombie waiting for a parent to reap it does not). */
const processRuns = async (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return !/^\d+ \(.*\) Z/.test(stat);
};

/** A `kassa start` run on a data directory and six free ports, with what it printed so far. */
interface Launcher {
  readonly process: ChildProcess;
  readonly dataDir: string;
  readonly portBase: number;
  /** Resolves with the exit code and signal once it exited and its output was read. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  output(): string;
  /** Waits until the output contains `text`; fails with the output if it exits or takes too long. */
  printed(text: string): Promise<void>;
  port(service: string): number;
  url(service: string): string;
  /** The supervisor's state file (it exists while the launcher runs). */
  state(): Promise<SupervisorState>;
  /** One service in the state file. */
  service(name: string): Promise<SupervisedProcess>;
}

async function startLauncher(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Launcher> {
  await access(cli).catch(() => {
    throw new Error(`${cli} is missing: build the CLI first (npx turbo run build)`);
  });
  const portBase = await freePortRange(platformServices.length);
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
  const child = spawn(process.execPath, [cli, "start"], {
    env: {
      ...env,
      ...extraEnv,
      KASSA_DATA_DIR: dataDir,
      KASSA_PORT_BASE: String(portBase),
      FORCE_COLOR: "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // "close", not "exit": it comes after every byte the launcher wrote has been read.
  const exited = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  let output = "";
  let gone = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  void exited.then(() => {
    gone = true;
  });
  const offset = (name: string) => platformServices.findIndex((service) => service.name === name);
  const state = async () =>
    JSON.parse(await readFile(path.join(dataDir, "supervisor.json"), "utf8")) as SupervisorState;
  return {
    process: child,
    dataDir,
    portBase,
    exited,
    output: () => output,
    printed: (text) =>
      eventually(() => {
        if (gone && !output.includes(text)) {
          throw new Error(`the launcher exited without printing "${text}":\n${output}`);
        }
        if (!output.includes(text)) throw new Error(`"${text}" not printed yet:\n${output}`);
      }, startCeilingMs),
    port: (name) => portBase + offset(name),
    url: (name) => `http://127.0.0.1:${portBase + offset(name)}`,
    state,
    async service(name) {
      const found = (await state()).services.find((service) => service.name === name);
      if (!found) throw new Error(`${name} is not in the supervisor's state file`);
      return found;
    },
  };
}

/** Stops a launcher a failed test left running; its services end with its IPC channel. */
async function killLeftover(launcher: Launcher | undefined): Promise<void> {
  if (!launcher || launcher.process.exitCode !== null || launcher.process.signalCode !== null) {
    return;
  }
  launcher.process.kill("SIGKILL");
  await launcher.exited;
  await eventually(async () => {
    for (const service of platformServices) {
      expect(await portOpen(launcher.port(service.name))).toBe(false);
    }
  }, recoveryCeilingMs);
}

const postJson = async (url: string, body: unknown, token: string) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, Record<string, unknown>>;
};

/** Takes a `tok_visa` payment through the gateway, retrying (with fresh keys) until one succeeds. */
async function paymentSucceeds(launcher: Launcher, apiKey: string, label: string) {
  let attempt = 0;
  await eventually(async () => {
    attempt++;
    const created = await postJson(
      `${launcher.url("gateway")}/kassa.gateway.v1.GatewayService/CreatePayment`,
      {
        idempotencyKey: `${label}-${attempt}`,
        merchantOrderNo: `${label}-${attempt}`,
        amount: "1999",
        currency: "USD",
        paymentMethod: "tok_visa",
      },
      apiKey,
    );
    expect(created.payment?.status, JSON.stringify(created)).toBe("PAYMENT_STATUS_SUCCEEDED");
  }, recoveryCeilingMs);
}

/** Waits until the launcher has restarted `name` once and it is ready again with a new pid. */
async function restartedOnce(launcher: Launcher, name: string, killedPid: number) {
  await eventually(async () => {
    const service = await launcher.service(name);
    expect(service).toMatchObject({
      phase: "ready",
      restarts: 1,
      lastExit: { code: null, signal: "SIGKILL" },
    });
    expect(service.pid).not.toBe(killedPid);
  }, recoveryCeilingMs);
}

const readJson = async (file: string) => JSON.parse(await readFile(file, "utf8"));
const kassaStatus = (launcher: Launcher, ...flags: string[]) =>
  runKassa(["status", ...flags], {
    KASSA_PORT_BASE: String(launcher.portBase),
    KASSA_DATA_DIR: launcher.dataDir,
  });

let dataDir = "";
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "kassa-start-"));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/**
 * A launcher on the shared data directory for the tests of one block: started (after `prepare`)
 * and waited for before them, killed after them if a test left it running.
 */
function launcherOfBlock(
  prepare: () => Promise<void> = async () => {},
  env: NodeJS.ProcessEnv = {},
): () => Launcher {
  let started: Launcher | undefined;
  beforeAll(async () => {
    await prepare();
    started = await startLauncher(dataDir, env);
    await started.printed("then: npx kassa status");
  }, platformTimeoutMs);
  afterAll(() => killLeftover(started), platformTimeoutMs);
  return () => {
    if (!started) throw new Error("the launcher did not start");
    return started;
  };
}

describe("kassa start on a fresh data directory", () => {
  // TLS settings exported for other work: the local platform stays cleartext and says so (were
  // they passed on, no service could read these files and none would start).
  const launcher = launcherOfBlock(undefined, {
    TLS_CERT_FILE: "/nonexistent/tls.crt",
    TLS_KEY_FILE: "/nonexistent/tls.key",
  });

  it(
    "starts all six at once, each ready after what it calls, six SERVING, with a demo merchant whose printed curl takes a payment",
    async () => {
      const run = launcher();
      const output = run.output();
      expect(output).toContain(
        "kassa start runs cleartext on 127.0.0.1; ignoring TLS_CERT_FILE, TLS_KEY_FILE",
      );
      // All six start together, before any is ready; each is ready only once what it calls
      // is: accounting after merchant, the gateway after all five.
      const position = (line: string) => {
        const index = output.indexOf(line);
        expect(index, `"${line}" printed`).toBeGreaterThanOrEqual(0);
        return index;
      };
      const firstReady = output.search(/^kassa: \w+ ready$/m);
      for (const service of platformServices) {
        expect(position(`kassa: starting ${service.name}`)).toBeLessThan(firstReady);
      }
      expect(position("kassa: accounting ready")).toBeGreaterThan(
        position("kassa: merchant ready"),
      );
      for (const name of ["merchant", "order", "channel", "risk", "accounting"]) {
        expect(position("kassa: gateway ready")).toBeGreaterThan(position(`kassa: ${name} ready`));
      }

      for (const service of platformServices) {
        const ready = await fetch(`${run.url(service.name)}/health/ready`);
        expect(ready.status, service.name).toBe(200);
        const health = createClient(
          Health,
          createGrpcTransport({ baseUrl: run.url(service.name) }),
        );
        const answer = await health.check({ service: service.typeName });
        expect(answer.status, service.name).toBe(HealthCheckResponse_ServingStatus.SERVING);
      }
      expect(output).toMatch(/^gateway +│ /m);

      // Tokens were generated for this local platform; internal services insist on them.
      const adminToken = output.match(/admin token \(KASSA_ADMIN_TOKEN\): (\S+)/)?.[1] ?? "";
      expect(adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await readJson(path.join(dataDir, "tokens.json"))).admin).toBe(adminToken);
      const unauthorised = await fetch(`${run.url("order")}/kassa.order.v1.OrderService/GetOrder`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(unauthorised.status).toBe(401);

      // The printed curl line, pasted into a shell as a new user would.
      const curl = output.slice(output.indexOf(`curl -s ${run.url("gateway")}/kassa.gateway.v1`));
      const pasted = curl.slice(0, curl.indexOf("\n\n"));
      const { stdout } = await promisify(execFile)("bash", ["-c", pasted]);
      const payment = (JSON.parse(stdout) as { payment: Record<string, string> }).payment;
      expect(payment).toMatchObject({
        status: "PAYMENT_STATUS_SUCCEEDED",
        amount: "1999",
        currency: "USD",
      });

      // A refund with the demo key, then a settlement with the admin token, all over HTTP/JSON.
      const apiKey = output.match(/API key: (sk_test_\S+)/)?.[1] ?? "";
      const refund = await postJson(
        `${run.url("gateway")}/kassa.gateway.v1.GatewayService/CreateRefund`,
        { idempotencyKey: "start-test-refund", paymentId: payment?.id, amount: "499" },
        apiKey,
      );
      expect(refund.refund).toMatchObject({ status: "REFUND_STATUS_SUCCEEDED" });
      const accounting = `${run.url("accounting")}/kassa.accounting.v1.AccountingService`;
      const merchantId = payment?.merchantId;
      await eventually(async () => {
        const balance = await postJson(
          `${accounting}/GetBalance`,
          { merchantId, currency: "USD" },
          adminToken,
        );
        expect(balance.balance?.balance).toBe("1500");
      }, recoveryCeilingMs);
      const created = await postJson(
        `${accounting}/CreateSettlement`,
        { merchantId, currency: "USD" },
        adminToken,
      );
      const processed = await postJson(
        `${accounting}/ProcessSettlement`,
        { settlementId: created.settlement?.id },
        adminToken,
      );
      expect(processed.settlement).toMatchObject({
        status: "SETTLEMENT_STATUS_COMPLETED",
        grossAmount: "1500",
      });
    },
    platformTimeoutMs,
  );

  it(
    "restarts a killed service by itself: payments resume, `kassa status` counts the restart, and Ctrl-C still stops all with exit 0",
    async () => {
      const run = launcher();
      const apiKey = run.output().match(/API key: (sk_test_\S+)/)?.[1] ?? "";
      const merchant = await run.service("merchant");
      expect(merchant).toMatchObject({ phase: "ready", restarts: 0, lastExit: null });
      const killedPid = merchant.pid ?? 0;
      // Every payment authenticates its API key with merchant, and accounting calls it too.
      process.kill(killedPid, "SIGKILL");

      await restartedOnce(run, "merchant", killedPid);
      expect(run.output()).toContain(
        "kassa: merchant was killed (SIGKILL) unexpectedly; restarting",
      );
      expect(run.output()).toContain("kassa: merchant ready again after restart 1");
      await paymentSucceeds(run, apiKey, "after-merchant-restart");

      const status = await eventually(async () => {
        const result = await kassaStatus(run);
        expect(result.stdout).toMatch(/^All 6 services healthy\.$/m);
        return result;
      }, recoveryCeilingMs);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^SUPERVISED +PID +STATE +RESTARTS +LAST EXIT$/m);
      expect(status.stdout).toMatch(/^merchant +\d+ +ready +1 +SIGKILL at \S+ \S+Z$/m);
      expect(status.stdout).toMatch(/^gateway +\d+ +ready +0 +-$/m);
      const json = JSON.parse((await kassaStatus(run, "--json")).stdout) as {
        services: { name: string; supervised?: { restarts: number; pid: number } }[];
      };
      expect(json.services.map((s) => [s.name, s.supervised?.restarts])).toEqual(
        platformServices.map((s) => [s.name, s.name === "merchant" ? 1 : 0]),
      );

      const pids = (await run.state()).services.map((service) => service.pid ?? 0);
      run.process.kill("SIGINT");
      const [code, signal] = await run.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      for (const service of platformServices) {
        expect(await portOpen(run.port(service.name))).toBe(false);
        expect(run.output()).toContain(`${service.name} stopped`);
      }
      for (const pid of pids) expect(await processRuns(pid), `pid ${pid} still runs`).toBe(false);
      await expect(access(path.join(dataDir, "supervisor.json"))).rejects.toThrow();
    },
    platformTimeoutMs,
  );
});

// Uses the first block's data directory on purpose: a second start on the same data.
describe("kassa start again on the same data", () => {
  let firstDemo: { merchantId: string; apiKey: string } | undefined;
  const launcher = launcherOfBlock(async () => {
    firstDemo = await readJson(path.join(dataDir, "demo-merchant.json")).catch(() => {
      throw new Error("the first start (previous block) never created the demo merchant");
    });
  });

  it(
    "keeps the demo merchant instead of creating a second one",
    async () => {
      const run = launcher();
      expect(run.output()).toContain(
        `demo merchant ${firstDemo?.merchantId}, API key: ${firstDemo?.apiKey}`,
      );
      const adminToken = (await readJson(path.join(dataDir, "tokens.json"))).admin;
      const listed = await postJson(
        `${run.url("merchant")}/kassa.merchant.v1.MerchantService/ListMerchants`,
        {},
        adminToken,
      );
      expect((listed.merchants as unknown as Array<{ name: string }>).map((m) => m.name)).toEqual([
        "Demo Shop",
      ]);
    },
    platformTimeoutMs,
  );

  it(
    "keeps supervising after whoever read its output closed it",
    async () => {
      const run = launcher();
      run.process.stdout?.destroy();
      // Its next lines (the crash, the restart, risk's logs) meet a closed pipe: EPIPE.
      const risk = await run.service("risk");
      process.kill(risk.pid ?? 0, "SIGKILL");
      await restartedOnce(run, "risk", risk.pid ?? 0);
      await paymentSucceeds(run, firstDemo?.apiKey ?? "", "after-stdout-closed");
      expect(await processRuns(run.process.pid ?? 0)).toBe(true);
    },
    platformTimeoutMs,
  );

  it(
    "leaves no service behind when the launcher itself is killed outright",
    async () => {
      const run = launcher();
      const pids = (await run.state()).services.map((service) => service.pid ?? 0);
      run.process.kill("SIGKILL");
      expect(await run.exited).toEqual([null, "SIGKILL"]);
      // Each service notices its launcher's IPC channel close and shuts down by itself.
      await eventually(async () => {
        for (const pid of pids) expect(await processRuns(pid), `pid ${pid} still runs`).toBe(false);
      }, recoveryCeilingMs);
      for (const service of platformServices) {
        expect(await portOpen(run.port(service.name))).toBe(false);
      }
      // The state file it left behind names a launcher that is gone: status ignores it.
      const status = await kassaStatus(run, "--json");
      expect(status.code).toBe(1);
      const json = JSON.parse(status.stdout) as { services: { supervised?: unknown }[] };
      expect(json.services.every((service) => service.supervised === undefined)).toBe(true);
    },
    platformTimeoutMs,
  );
});

describe("kassa start with a service that cannot start", () => {
  it(
    "gives up after three starts that never got ready, naming the service and why, and exits 1",
    async () => {
      const brokenDir = await mkdtemp(path.join(tmpdir(), "kassa-start-broken-"));
      onTestFinished(() => rm(brokenDir, { recursive: true, force: true }));
      // A bad variable only risk reads: it exits 1 at once, every time.
      const run = await startLauncher(brokenDir, { RISK_REJECT_THRESHOLD: "lots" });
      onTestFinished(() => killLeftover(run));

      expect(await run.exited).toEqual([1, null]);
      const output = run.output();
      expect(output).toMatch(/^risk +│ risk: failed to start: .*RISK_REJECT_THRESHOLD/m);
      expect(output).toContain(
        "kassa: risk exited with code 1 before it was ready; restarting in 1 s (1 of 3 failed starts before giving up)",
      );
      expect(output).toContain(
        "kassa: risk exited with code 1 before it was ready, 3 starts in a row; giving up",
      );
      // The gateway, which needs risk, never got ready; all six were stopped.
      expect(output).not.toContain("kassa: gateway ready");
      expect(output).not.toContain("Kassa is running");
      for (const service of platformServices) {
        expect(await portOpen(run.port(service.name)), service.name).toBe(false);
      }
      await expect(access(path.join(brokenDir, "supervisor.json"))).rejects.toThrow();
    },
    platformTimeoutMs,
  );
});
