/**
 * The wait between two rounds of a background worker: ends after `ms`, at once when woken
 * (new work was committed), or when the service starts shutting down.
 */
export interface WorkerPause {
  /** Resolves after `ms`, or sooner when woken or aborted. A wake before the pause is not lost. */
  pause(ms: number): Promise<void>;
  /** Ends the current pause, or the next one if none is running. */
  wake(): void;
}

/** Creates a {@link WorkerPause} that also ends when `signal` aborts. */
export function createWorkerPause(signal: AbortSignal): WorkerPause {
  let woken = false;
  let end: (() => void) | undefined;
  return {
    pause(ms) {
      return new Promise<void>((resolve) => {
        if (woken || signal.aborted) {
          woken = false;
          resolve();
          return;
        }
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          end = undefined;
          woken = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done, { once: true });
        end = done;
      });
    },
    wake() {
      woken = true;
      end?.();
    },
  };
}
