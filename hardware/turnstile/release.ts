import { DeviceError } from '../errors.ts';
import type { TimerHandle, Timers } from '../timers.ts';
import type { Direction } from './port.ts';

/** Argument checks shared by every driver, so the simulator refuses what the hardware refuses. */
export function checkOpenArgs(direction: Direction, persons: number, timeoutMs: number): void {
  if (direction !== 'in' && direction !== 'out') {
    throw new DeviceError('invalid_argument', `direction must be "in" or "out"`, { direction });
  }
  if (!Number.isSafeInteger(persons) || persons < 1) {
    throw new DeviceError('invalid_argument', `persons must be a positive integer`, { persons });
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new DeviceError('invalid_argument', `timeoutMs must be a positive number`, { timeoutMs });
  }
}

export interface ReleaseOptions {
  direction: Direction;
  persons: number;
  timeoutMs: number;
  timers: Timers;
  /** Called once, before `done` resolves, so the driver can close the leaves. */
  onEnd: (release: Release) => void;
}

/**
 * One open() call: counts passages against the number released and ends on the last one or
 * when nobody passed for `timeoutMs`. Shared by the simulator and the drivers so both keep the
 * same timeout and give-back rules.
 */
export class Release {
  readonly direction: Direction;
  readonly persons: number;
  readonly done: Promise<{ passed: number }>;
  #passed = 0;
  #ended = false;
  #timer: TimerHandle | undefined;
  readonly #options: ReleaseOptions;
  #resolve!: (result: { passed: number }) => void;

  constructor(options: ReleaseOptions) {
    this.#options = options;
    this.direction = options.direction;
    this.persons = options.persons;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  get passed(): number {
    return this.#passed;
  }

  get ended(): boolean {
    return this.#ended;
  }

  begin(): void {
    this.#arm();
  }

  /** Counts one passage; ends the release when it was the last one. */
  count(): void {
    if (this.#ended) return;
    this.#passed++;
    if (this.#passed >= this.persons) this.end();
    else this.#arm();
  }

  /** Ends now, keeping what was counted: the rest is given back. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#options.timers.clearTimeout(this.#timer);
    try {
      this.#options.onEnd(this);
    } finally {
      this.#resolve({ passed: this.#passed });
    }
  }

  #arm(): void {
    const { timers, timeoutMs } = this.#options;
    timers.clearTimeout(this.#timer);
    this.#timer = timers.setTimeout(() => this.end(), timeoutMs);
  }
}
