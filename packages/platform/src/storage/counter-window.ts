import type { WindowCounter } from "./redis-store.js";

/**
 * How long a window's hash outlives its window: a replica whose clock lags by up to this much
 * still finds its counts, and an operator can read the window that just ended.
 */
export const windowExpiryMarginMs = 60_000;

/** The Redis hash holding a counter's window at `nowMs`, and when that window ends. */
export interface CounterWindow {
  /** `<group>:<windowMs>:<n>`, n the window's number since the epoch. */
  readonly key: string;
  /** Epoch milliseconds at which the window ends and the next one begins. */
  readonly endsAt: number;
}

/**
 * The window of `counter` that `nowMs` falls in: window n of `windowMs` covers
 * [n·windowMs, (n+1)·windowMs), the same on every replica whatever its first call was.
 */
export function counterWindowOf(counter: WindowCounter, nowMs: number): CounterWindow {
  const { group, windowMs } = counter;
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`counter window must be a positive whole number of ms, not ${windowMs}`);
  }
  const n = Math.floor(nowMs / windowMs);
  return { key: `${group}:${windowMs}:${n}`, endsAt: (n + 1) * windowMs };
}
