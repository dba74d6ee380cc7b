/**
 * Where services read the time. Handing a fake clock to a service lets tests move time
 * (reconciler ages, cache expiry) without sleeping.
 */
export interface Clock {
  /** The current time. */
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => new Date() };
