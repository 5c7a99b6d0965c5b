import { DeviceError } from '../errors.ts';
import type { GpioFactory, GpioLike } from '../gpio/binding.ts';
import { DebouncedInput } from '../gpio/debounced-input.ts';
import type { LineBoard } from '../gpio/lines.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { DEFAULT_OPEN_TIMEOUT_MS } from './port.ts';
import type { Direction, Turnstile, TurnstileEvents, TurnstileState } from './port.ts';
import { Release, checkOpenArgs } from './release.ts';

/** Line numbers as the board numbers them: onoff (sysfs) numbers for GPIO, Arduino pin numbers for Firmata. */
export interface TurnstilePins {
  /** Output that releases the leaves for entry; active = open. */
  openIn: number;
  /** Output for exit; without it open('out') fails with `not_wired`. */
  openOut?: number;
  /** Input from the passage sensor; one rising (to active) edge is one person through. */
  passage: number;
  /** Input from the fire alarm / emergency switch. */
  emergency?: number;
  /** Input from the controller's alarm output (forced passage, tailgating, tamper). */
  alarm?: number;
}

export interface LineTurnstileOptions {
  pins: TurnstilePins;
  /** Every line is active at 0 (typical for relay boards and opto-isolated inputs). Default false. */
  activeLow?: boolean;
  /**
   * Shortest time an open output stays active, default 300: a controller that filters its
   * own input would miss a shorter pulse, e.g. when the count completes at once.
   */
  pulseMs?: number;
  /** Quiet time before an input level counts, default 20. */
  debounceMs?: number;
  timers?: Timers;
}

interface Output {
  line: GpioLike;
  active: boolean;
  activeSince: number;
  /** Pending close, deferred until the output has been active for pulseMs. */
  closeTimer: TimerHandle | undefined;
}

interface Lines {
  board: LineBoard;
  outputs: Partial<Record<Direction, Output>>;
  passage: DebouncedInput;
  emergency: DebouncedInput | undefined;
  alarm: DebouncedInput | undefined;
  all: GpioLike[];
}

/**
 * A turnstile controller driven through lines: the open outputs are held active while a release
 * is waiting (the controller keeps the leaves free as long as its input is active) and the
 * passage sensor is counted until enough people are through or nobody comes. The lines come
 * from GPIO (GpioTurnstile) or a Firmata board (FirmataTurnstile); the behaviour is this one.
 */
export abstract class LineTurnstile extends TypedEventEmitter<TurnstileEvents> implements Turnstile {
  readonly #pins: TurnstilePins;
  readonly #activeLow: boolean;
  readonly #pulseMs: number;
  readonly #debounceMs: number;
  readonly #timers: Timers;
  #lines: Lines | undefined;
  #release: Release | undefined;
  #emergencyOpen = false;

  constructor(options: LineTurnstileOptions) {
    super();
    this.#pins = options.pins;
    this.#activeLow = options.activeLow ?? false;
    this.#pulseMs = options.pulseMs ?? 300;
    this.#debounceMs = options.debounceMs ?? 20;
    this.#timers = options.timers ?? realTimers;
  }

  /** Opens the board the lines are on; `onError` takes failures of the board itself while it runs. */
  protected abstract openBoard(onError: (error: Error) => void): Promise<LineBoard>;

  get state(): TurnstileState {
    return { emergencyOpen: this.#emergencyOpen, busy: this.#release !== undefined };
  }

  async start(): Promise<void> {
    if (this.#lines) return;
    const board = await this.openBoard((error) => this.emit('error', error));
    const all: GpioLike[] = [];
    const line: GpioFactory = (...args) => {
      const created = board.line(...args);
      all.push(created);
      return created;
    };
    try {
      // Export outputs already at the inactive level: plain 'out' drives 0, which on an
      // active-low board would open the leaves while the gate boots.
      const idle = this.#activeLow ? 'high' : 'low';
      const output = (pin: number): Output => ({ line: line(pin, idle), active: false, activeSince: 0, closeTimer: undefined });
      const input = (pin: number, onChange: (active: boolean) => void) =>
        new DebouncedInput(line(pin, 'in', 'both'), {
          activeLow: this.#activeLow,
          debounceMs: this.#debounceMs,
          timers: this.#timers,
          onChange,
          onError: (error) => this.emit('error', error),
        });
      const { openIn, openOut, passage, emergency, alarm } = this.#pins;
      const lines: Lines = {
        board,
        outputs: { in: output(openIn), ...(openOut === undefined ? {} : { out: output(openOut) }) },
        passage: input(passage, (active) => {
          if (active) this.#onPassage();
        }),
        emergency: emergency === undefined ? undefined : input(emergency, (active) => this.emit('emergency', { active })),
        alarm: alarm === undefined ? undefined : input(alarm, (active) => this.emit('alarm', { active })),
        all,
      };
      await board.settle();
      lines.passage.start();
      lines.emergency?.start();
      lines.alarm?.start();
      this.#lines = lines;
      // A gate that boots during an alarm must learn of it without waiting for an edge.
      if (lines.emergency?.active) this.emit('emergency', { active: true });
      if (lines.alarm?.active) this.emit('alarm', { active: true });
    } catch (error) {
      for (const created of all) created.unexport();
      await board.close();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const lines = this.#lines;
    if (!lines) return;
    lines.passage.stop();
    lines.emergency?.stop();
    lines.alarm?.stop();
    this.#release?.end();
    this.#emergencyOpen = false;
    // Close at once, without the minimum hold: the lines are about to be let go, and sysfs
    // keeps driving whatever level was last written.
    this.#lines = undefined;
    try {
      for (const output of Object.values(lines.outputs)) {
        this.#timers.clearTimeout(output.closeTimer);
        if (output.active) output.line.writeSync(this.#level(false));
      }
    } finally {
      for (const line of lines.all) line.unexport();
      await lines.board.close();
    }
  }

  async open(direction: Direction, persons: number, timeoutMs = DEFAULT_OPEN_TIMEOUT_MS): Promise<{ passed: number }> {
    checkOpenArgs(direction, persons, timeoutMs);
    if (!this.#lines) throw new DeviceError('not_started', 'turnstile is not started');
    if (this.#release) throw new DeviceError('busy', 'turnstile is still waiting for an earlier release');
    if (!this.#lines.outputs[direction]) {
      throw new DeviceError('not_wired', `no open output wired for direction "${direction}"`, { direction });
    }
    const release = new Release({
      direction,
      persons,
      timeoutMs,
      timers: this.#timers,
      onEnd: () => {
        this.#release = undefined;
        this.#applyReporting();
      },
    });
    this.#release = release;
    try {
      this.#apply();
    } catch (error) {
      release.end();
      throw error;
    }
    release.begin();
    return release.done;
  }

  async setEmergencyOpen(open: boolean): Promise<void> {
    if (!this.#lines) throw new DeviceError('not_started', 'turnstile is not started');
    this.#emergencyOpen = open;
    this.#apply();
  }

  #onPassage(): void {
    const release = this.#release;
    this.emit('passage', { direction: release?.direction ?? null, authorized: release !== undefined });
    release?.count();
  }

  /** Drives each output to what the emergency hold and the waiting release ask for. */
  #apply(): void {
    const lines = this.#lines;
    if (!lines) return;
    for (const [direction, output] of Object.entries(lines.outputs) as [Direction, Output][]) {
      const want = this.#emergencyOpen || this.#release?.direction === direction;
      this.#drive(output, want);
    }
  }

  /** For callers outside an API call (timers, sensor edges), where a throw would reach no one. */
  #applyReporting(): void {
    try {
      this.#apply();
    } catch (error) {
      this.emit('error', error as Error);
    }
  }

  #drive(output: Output, want: boolean): void {
    this.#timers.clearTimeout(output.closeTimer);
    output.closeTimer = undefined;
    if (want === output.active) return;
    const now = this.#timers.now();
    if (!want && now < output.activeSince + this.#pulseMs) {
      output.closeTimer = this.#timers.setTimeout(() => this.#applyReporting(), output.activeSince + this.#pulseMs - now);
      return;
    }
    output.line.writeSync(this.#level(want));
    output.active = want;
    if (want) output.activeSince = now;
  }

  #level(active: boolean): 0 | 1 {
    return active !== this.#activeLow ? 1 : 0;
  }
}
