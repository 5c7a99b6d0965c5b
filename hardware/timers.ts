/**
 * The clock and timers a driver uses, passed in so tests can step time instead of sleeping
 * (see `testing/fake-timers.ts`).
 */
export type TimerHandle = unknown;

export interface Timers {
  /** Milliseconds since 1970; used for history stamps and minimum hold times. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
