import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SupervisedPhase, SupervisedServiceState } from "./service-supervisor.js";

/** One service as `kassa start` last reported it in its state file. */
export interface SupervisedProcess {
  readonly name: string;
  /** Where the launcher runs it, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  readonly phase: SupervisedPhase;
  /** Its process id; null while none runs (waiting, in backoff, stopped). */
  readonly pid: number | null;
  /** How many times the launcher started it again after it died. */
  readonly restarts: number;
  /** How its last process ended (ISO time), or null when none has. */
  readonly lastExit: {
    readonly code: number | null;
    readonly signal: string | null;
    readonly at: string;
  } | null;
}

/** The content of `<data dir>/supervisor.json`. */
export interface SupervisorState {
  /** The `kassa start` process writing it. */
  readonly launcherPid: number;
  readonly updatedAt: string;
  readonly services: readonly SupervisedProcess[];
}

/** Writes the launcher's state file; see {@link createSupervisorStateWriter}. */
export interface SupervisorStateWriter {
  /** Replaces the file's content with `state` (writes are queued; the latest wins). */
  write(state: SupervisorState): void;
  /** Waits for queued writes, then deletes the file: the launcher is done. */
  remove(): Promise<void>;
}

/** `<data dir>/supervisor.json`: what `kassa start` supervises, for `kassa status` to read. */
export function supervisorStateFile(dataDir: string): string {
  return path.join(dataDir, "supervisor.json");
}

/** The state file's view of the supervisor's states, with each service's URL. */
export function supervisorState(
  states: readonly SupervisedServiceState[],
  urls: ReadonlyMap<string, string>,
): SupervisorState {
  return {
    launcherPid: process.pid,
    updatedAt: new Date().toISOString(),
    services: states.map((state) => ({
      name: state.name,
      url: urls.get(state.name) ?? "",
      phase: state.phase,
      pid: state.pid ?? null,
      restarts: state.restarts,
      lastExit: state.lastExit
        ? {
            code: state.lastExit.code,
            signal: state.lastExit.signal,
            at: state.lastExit.at.toISOString(),
          }
        : null,
    })),
  };
}

/**
 * Keeps `file` up to date with the latest state: one write at a time, each to a temporary file
 * renamed over it, so a reader never sees half a file. A failed write is reported to `onError`
 * and the launcher carries on: the file only informs `kassa status`.
 */
export function createSupervisorStateWriter(
  file: string,
  onError: (error: unknown) => void,
): SupervisorStateWriter {
  const temporary = `${file}.${process.pid}.tmp`;
  let latest: string | undefined;
  let removed = false;
  let queue = Promise.resolve();
  const flush = async () => {
    if (latest === undefined || removed) return;
    const text = latest;
    latest = undefined;
    await writeFile(temporary, text);
    await rename(temporary, file);
  };
  return {
    write(state) {
      latest = `${JSON.stringify(state, null, 2)}\n`;
      queue = queue.then(flush).catch(onError);
    },
    async remove() {
      removed = true;
      await queue;
      await rm(file, { force: true });
      await rm(temporary, { force: true });
    },
  };
}

/**
 * The state a running `kassa start` keeps in `file`, or undefined when there is none: no file,
 * not a state file, or one left behind by a launcher that no longer runs.
 */
export async function readSupervisorState(file: string): Promise<SupervisorState | undefined> {
  const state = await readFile(file, "utf8")
    .then((text) => JSON.parse(text) as Partial<SupervisorState>)
    .catch(() => undefined);
  if (typeof state?.launcherPid !== "number" || !Array.isArray(state.services)) return undefined;
  return processRuns(state.launcherPid) ? (state as SupervisorState) : undefined;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
