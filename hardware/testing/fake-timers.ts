import type { TimerHandle, Timers } from '../timers.ts';

interface Pending {
  at: number;
  fn: () => void;
}

/** Manually stepped timers for tests: nothing fires until `advance()` is called. */
export class FakeTimers implements Timers {
  #now: number;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#pending.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as number);
  }

  /** Timers still waiting; a clean `stop()` leaves none. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Moves time forward, firing due timers in order (ties in creation order), including ones they set. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, Pending] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      this.#pending.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = end;
  }
}
