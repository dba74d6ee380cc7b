import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";

/** One process {@link createServiceSupervisor} keeps running. */
export interface SupervisedService {
  /** Short name, e.g. `merchant`. */
  readonly name: string;
  /** Services that must have been ready once before this one is first started. */
  readonly dependencies: readonly string[];
  /** The executable, e.g. `process.execPath`. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Answers 200 once the service serves: its `/health/ready`. */
  readonly readyUrl: string;
}

/**
 * When a service that died is started again. A crash waits `initialBackoffMs` before the
 * restart, and each further crash in a row doubles the wait up to `maxBackoffMs`; a run that
 * stayed up `stableAfterMs` after becoming ready starts the doubling over. A service whose
 * last `maxFailedStarts` starts all ended before it was ready (a bad configuration, a port in
 * use, a broken database) will not get better by itself: the supervisor gives up.
 */
export interface RestartPolicy {
  /** Default 1 s: a killed service is back about as fast as it starts. */
  readonly initialBackoffMs: number;
  /** Default 30 s: a service that keeps crashing costs little, and still comes back. */
  readonly maxBackoffMs: number;
  /** Default 60 s. */
  readonly stableAfterMs: number;
  /** Default 3: the first start and two restarts, about 3 s of waiting plus three starts. */
  readonly maxFailedStarts: number;
}

/** The policy `kassa start` runs with. */
export const defaultRestartPolicy: RestartPolicy = {
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  stableAfterMs: 60_000,
  maxFailedStarts: 3,
};

/**
 * What a supervised service is doing: `waiting` for its dependencies, `starting` (running, not
 * yet ready), `ready`, in `backoff` before a restart, `stopping` after a stop request, `stopped`.
 */
export type SupervisedPhase = "waiting" | "starting" | "ready" | "backoff" | "stopping" | "stopped";

/** How a service's process ended. */
export interface ProcessExit {
  /** Its exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: Date;
}

/** One service as the supervisor sees it. */
export interface SupervisedServiceState {
  readonly name: string;
  readonly phase: SupervisedPhase;
  /** The running process's id; undefined while none runs. */
  readonly pid?: number;
  /** How many times it was started again after its process died. */
  readonly restarts: number;
  /** How its last process ended, once one has. */
  readonly lastExit?: ProcessExit;
}

/** What the supervisor reports as it goes; `kassa start` prints each as a line. */
export type SupervisorEvent =
  /** A process was started: `restart` 0 the first time, then 1, 2… */
  | {
      readonly type: "started";
      readonly service: string;
      readonly pid: number;
      readonly restart: number;
    }
  /** The service answered `/health/ready` 200 for the first time since it was (re)started. */
  | { readonly type: "ready"; readonly service: string; readonly restart: number }
  /** It died unexpectedly and will be started again after `restartInMs`. */
  | {
      readonly type: "crashed";
      readonly service: string;
      readonly exit: ProcessExit;
      /** How many starts in a row ended before it was ready (0: it had been ready). */
      readonly failedStarts: number;
      /** The supervisor gives up when `failedStarts` reaches it. */
      readonly maxFailedStarts: number;
      readonly restartInMs: number;
    }
  /** It died before being ready `failedStarts` times in a row: the supervisor stops everything. */
  | {
      readonly type: "gave-up";
      readonly service: string;
      readonly exit: ProcessExit;
      readonly failedStarts: number;
    }
  /** It ended after a stop request; `clean` when it drained and exited 0. */
  | {
      readonly type: "stopped";
      readonly service: string;
      readonly exit: ProcessExit;
      readonly clean: boolean;
    };

/** Options for {@link createServiceSupervisor}. */
export interface ServiceSupervisorOptions {
  readonly services: readonly SupervisedService[];
  /** Default {@link defaultRestartPolicy}. */
  readonly policy?: Partial<RestartPolicy>;
  /** How often a starting service's readiness is asked. Default 250 ms. */
  readonly readyPollMs?: number;
  /**
   * Start every service at once rather than each after its dependencies' first readiness
   * (they still drain dependents first). For services that tolerate dependencies not up yet:
   * each is ready once the ones it calls are. Default false.
   */
  readonly startTogether?: boolean;
  /** Each event, after the state it describes is in {@link ServiceSupervisor.states}. */
  readonly onEvent: (event: SupervisorEvent) => void;
  /** Each line a service prints on stdout or stderr. */
  readonly onOutput: (service: string, line: string) => void;
  /** Each process as it is started, to talk to it over its IPC channel. */
  readonly onProcess?: (service: string, child: ChildProcess) => void;
}

/** Keeps a set of services running; see {@link createServiceSupervisor}. */
export interface ServiceSupervisor {
  /**
   * Starts every service with no dependencies; the others follow as theirs become ready (all
   * at once with `startTogether`).
   */
  start(): void;
  /** True once every service has been ready; false when the supervisor stopped first. */
  readonly allReady: Promise<boolean>;
  /**
   * Settles once every process has ended after {@link stop} or a give-up: 0 when every service
   * stopped cleanly on request, 1 after a give-up or when one did not drain cleanly.
   */
  readonly finished: Promise<number>;
  /**
   * First call: no more starts or restarts, and SIGTERM to each process (a graceful drain),
   * dependents first: a service is sent SIGTERM once every service calling it has ended.
   * Any later call: SIGKILL to whatever still runs.
   */
  stop(): void;
  /** Every service's state now, in the order they were given. */
  states(): SupervisedServiceState[];
}

interface Slot {
  readonly spec: SupervisedService;
  phase: SupervisedPhase;
  child?: ChildProcess;
  restarts: number;
  /** Whether it has been ready at least once: its dependents may start. */
  everReady: boolean;
  /** Whether the current process has been ready. */
  runReady: boolean;
  readyAt?: number;
  /** Starts in a row that ended before the service was ready. */
  failedStarts: number;
  /** Crashes in a row, for the backoff. */
  crashStreak: number;
  lastExit?: ProcessExit;
  restartTimer?: NodeJS.Timeout;
  /** Whether the current process was sent SIGTERM. */
  drainRequested?: boolean;
}

/**
 * Runs services as child processes and keeps them running: each starts once every service it
 * depends on has been ready (`readyUrl` answered 200), so services with no unmet dependencies
 * start together; one that dies unexpectedly is started again after a backoff (see
 * {@link RestartPolicy}), and its dependents keep running meanwhile. Only {@link stop}, or a
 * service that keeps dying before it is ready, ends the whole set.
 *
 * Each process runs in its own process group (a Ctrl-C in the terminal reaches only the
 * supervisor, which drains each service once) with an IPC channel, whose closing tells a
 * service that the supervisor is gone, so none is orphaned even when it is killed outright.
 */
export function createServiceSupervisor(options: ServiceSupervisorOptions): ServiceSupervisor {
  const policy = { ...defaultRestartPolicy, ...options.policy };
  const readyPollMs = options.readyPollMs ?? 250;
  const slots = options.services.map(
    (spec): Slot => ({
      spec,
      phase: "waiting",
      restarts: 0,
      everReady: false,
      runReady: false,
      failedStarts: 0,
      crashStreak: 0,
    }),
  );
  checkDependencies(options.services);
  const slotOf = new Map(slots.map((slot) => [slot.spec.name, slot]));

  let stopping = false;
  let gaveUp = false;
  let unclean = false;
  let resolveAllReady: (ready: boolean) => void = () => {};
  const allReady = new Promise<boolean>((resolve) => {
    resolveAllReady = resolve;
  });
  let resolveFinished: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    resolveFinished = resolve;
  });

  const startUnblocked = () => {
    for (const slot of slots) {
      const unblocked =
        options.startTogether ||
        slot.spec.dependencies.every((name) => slotOf.get(name)?.everReady);
      if (slot.phase === "waiting" && unblocked && !stopping) run(slot);
    }
  };

  const run = (slot: Slot) => {
    const { spec } = slot;
    const child = spawn(spec.command, spec.args, {
      env: spec.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    slot.child = child;
    options.onProcess?.(spec.name, child);
    slot.phase = "starting";
    slot.runReady = false;
    slot.drainRequested = false;
    let ended = false;
    const end = (exit: ProcessExit) => {
      if (ended) return;
      ended = true;
      onExit(slot, exit);
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      // A broken pipe from a dying child is that child's problem, never the supervisor's.
      stream.on("error", () => {});
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) =>
        options.onOutput(spec.name, line),
      );
    }
    child.once("exit", (code, signal) => end({ code, signal, at: new Date() }));
    child.on("error", (error) => {
      options.onOutput(spec.name, `(process error: ${error.message})`);
      // No pid: it never ran, and no "exit" will follow.
      if (child.pid === undefined) end({ code: null, signal: null, at: new Date() });
    });
    if (child.pid === undefined) return;
    options.onEvent({
      type: "started",
      service: spec.name,
      pid: child.pid,
      restart: slot.restarts,
    });
    void awaitReady(slot, child);
  };

  const awaitReady = async (slot: Slot, child: ChildProcess) => {
    const current = () => slot.child === child && slot.phase === "starting";
    while (current()) {
      const ready = await fetch(slot.spec.readyUrl, { signal: AbortSignal.timeout(10_000) })
        .then((response) => {
          void response.body?.cancel();
          return response.ok;
        })
        .catch(() => false);
      if (ready && current()) {
        onReady(slot);
        return;
      }
      await delay(readyPollMs);
    }
  };

  const onReady = (slot: Slot) => {
    slot.phase = "ready";
    slot.runReady = true;
    slot.everReady = true;
    slot.readyAt = performance.now();
    slot.failedStarts = 0;
    options.onEvent({ type: "ready", service: slot.spec.name, restart: slot.restarts });
    if (slots.every((other) => other.everReady)) resolveAllReady(true);
    startUnblocked();
  };

  const onExit = (slot: Slot, exit: ProcessExit) => {
    slot.child = undefined;
    slot.lastExit = exit;
    const { name } = slot.spec;
    if (stopping) {
      // Killed by our SIGTERM before it served anything: there was nothing to drain.
      const clean = exit.code === 0 || (!slot.runReady && exit.signal === "SIGTERM");
      if (!clean) unclean = true;
      slot.phase = "stopped";
      options.onEvent({ type: "stopped", service: name, exit, clean });
      settleIfDone();
      return;
    }
    if (slot.runReady) {
      const upFor = performance.now() - (slot.readyAt ?? 0);
      if (upFor >= policy.stableAfterMs) slot.crashStreak = 0;
    } else {
      slot.failedStarts++;
    }
    slot.crashStreak++;
    if (slot.failedStarts >= policy.maxFailedStarts) {
      gaveUp = true;
      slot.phase = "stopped";
      options.onEvent({ type: "gave-up", service: name, exit, failedStarts: slot.failedStarts });
      beginStop();
      return;
    }
    const restartInMs = Math.min(
      policy.initialBackoffMs * 2 ** (slot.crashStreak - 1),
      policy.maxBackoffMs,
    );
    slot.phase = "backoff";
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (stopping) return;
      slot.restarts++;
      run(slot);
    }, restartInMs);
    options.onEvent({
      type: "crashed",
      service: name,
      exit,
      failedStarts: slot.failedStarts,
      maxFailedStarts: policy.maxFailedStarts,
      restartInMs,
    });
  };

  const beginStop = () => {
    stopping = true;
    resolveAllReady(false);
    for (const slot of slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      slot.phase = slot.child ? "stopping" : "stopped";
    }
    drainUnblocked();
    settleIfDone();
  };

  // Dependents drain first, so that their last calls (an in-flight payment, a final outbox
  // step) still reach the services they call: the reverse of the start order.
  const drainUnblocked = () => {
    for (const slot of slots) {
      if (!slot.child || slot.drainRequested) continue;
      const dependentRuns = slots.some(
        (other) => other.child && other.spec.dependencies.includes(slot.spec.name),
      );
      if (dependentRuns) continue;
      slot.drainRequested = true;
      slot.child.kill("SIGTERM");
    }
  };

  const settleIfDone = () => {
    if (!stopping) return;
    drainUnblocked();
    if (slots.every((slot) => !slot.child)) resolveFinished(gaveUp || unclean ? 1 : 0);
  };

  const killAll = () => {
    for (const slot of slots) {
      const pid = slot.child?.pid;
      if (pid === undefined) continue;
      try {
        // The whole group: under --watch the service is a grandchild.
        process.kill(-pid, "SIGKILL");
      } catch {
        slot.child?.kill("SIGKILL");
      }
    }
  };

  return {
    start: startUnblocked,
    allReady,
    finished,
    stop() {
      if (stopping) killAll();
      else beginStop();
    },
    states() {
      return slots.map((slot) => ({
        name: slot.spec.name,
        phase: slot.phase,
        ...(slot.child?.pid !== undefined && { pid: slot.child.pid }),
        restarts: slot.restarts,
        ...(slot.lastExit && { lastExit: slot.lastExit }),
      }));
    },
  };
}

/** Throws when a service depends on one not supervised, or the dependencies form a cycle. */
function checkDependencies(services: readonly SupervisedService[]): void {
  const names = new Set(services.map((service) => service.name));
  for (const service of services) {
    const missing = service.dependencies.filter((name) => !names.has(name));
    if (missing.length > 0) {
      throw new Error(`${service.name} depends on ${missing.join(", ")}, which is not supervised`);
    }
  }
  const startable = new Set<string>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const service of services) {
      if (!startable.has(service.name) && service.dependencies.every((d) => startable.has(d))) {
        startable.add(service.name);
        progress = true;
      }
    }
  }
  const stuck = services.filter((service) => !startable.has(service.name));
  if (stuck.length > 0) {
    throw new Error(`dependency cycle among ${stuck.map((service) => service.name).join(", ")}`);
  }
}
