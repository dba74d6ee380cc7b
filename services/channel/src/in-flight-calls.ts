import { ConnectError } from "@connectrpc/connect";

/**
 * Provider calls in progress in this process, by the id of the record they settle. A
 * duplicate request that finds the record PENDING waits here for the first call to finish,
 * instead of calling the provider a second time. Calls running in another replica are not
 * here; a duplicate there asks the provider what it did instead.
 */
export interface InFlightCalls {
  /** Runs `call` as the one in progress for `id` until it settles. */
  run<T>(id: string, call: () => Promise<T>): Promise<T>;
  /**
   * Resolves true once the call in progress for `id` has finished, however it ended, or false
   * at once when none is running here.
   *
   * @throws the abort reason (DEADLINE_EXCEEDED, CANCELED) when `signal` aborts first.
   */
  waitFor(id: string, signal: AbortSignal): Promise<boolean>;
}

/** Creates an empty {@link InFlightCalls}. */
export function createInFlightCalls(): InFlightCalls {
  const calls = new Map<string, Promise<unknown>>();
  return {
    run(id, call) {
      const running = call().finally(() => calls.delete(id));
      calls.set(id, running);
      return running;
    },
    async waitFor(id, signal) {
      const running = calls.get(id);
      if (!running) return false;
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(ConnectError.from(signal.reason));
        if (signal.aborted) return abort();
        signal.addEventListener("abort", abort, { once: true });
        const finish = () => {
          signal.removeEventListener("abort", abort);
          resolve();
        };
        // How the first call ended is its own caller's business; this one re-reads the record.
        running.then(finish, finish);
      });
      return true;
    },
  };
}
