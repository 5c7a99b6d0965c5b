import type { TimerHandle, Timers } from '../timers.ts';
import type { GpioCallback, GpioLike } from './binding.ts';

export interface DebouncedInputOptions {
  /** The line reads 0 when active (contact pulled to ground). */
  activeLow: boolean;
  /** A new level counts only after the line has been quiet this long; 0 takes every edge. */
  debounceMs: number;
  timers: Timers;
  onChange: (active: boolean) => void;
  onError: (error: Error) => void;
}

/**
 * A watched input reported as debounced logical levels. The debounce is done here rather than
 * with onoff's `debounceTimeout`, so a fake binding in a test sees exactly what the hardware
 * sees. Like onoff's, it waits for the line to be quiet and then reads the level, so a bounce
 * that ends on the old level produces no change. A pulse shorter than `debounceMs` is lost,
 * which is the point for contact bounce and harmless for a person-sized sensor pulse.
 */
export class DebouncedInput {
  readonly #line: GpioLike;
  readonly #options: DebouncedInputOptions;
  #active = false;
  #timer: TimerHandle | undefined;
  #watching = false;

  constructor(line: GpioLike, options: DebouncedInputOptions) {
    this.#line = line;
    this.#options = options;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Reads the starting level (without reporting it) and begins watching. */
  start(): void {
    this.#active = this.#read();
    this.#line.watch(this.#onEdge);
    this.#watching = true;
  }

  stop(): void {
    if (this.#watching) this.#line.unwatch(this.#onEdge);
    this.#watching = false;
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #onEdge: GpioCallback = (err) => {
    if (!this.#watching) return;
    if (err) {
      this.#options.onError(err);
      return;
    }
    const { timers, debounceMs } = this.#options;
    timers.clearTimeout(this.#timer);
    if (debounceMs <= 0) this.#settle();
    else this.#timer = timers.setTimeout(this.#settle, debounceMs);
  };

  #settle = (): void => {
    this.#timer = undefined;
    let active: boolean;
    try {
      active = this.#read();
    } catch (error) {
      this.#options.onError(error as Error);
      return;
    }
    if (active === this.#active) return;
    this.#active = active;
    this.#options.onChange(active);
  };

  #read(): boolean {
    return (this.#line.readSync() === 1) !== this.#options.activeLow;
  }
}
