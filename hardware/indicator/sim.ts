import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { BEEP_TIMINGS, checkLight, checkPattern, checkShowArgs } from './port.ts';
import type { BeepPattern, IndicatorEvents, IndicatorPort, IndicatorState, Light, ShowLightOptions } from './port.ts';

export interface SimIndicatorOptions {
  /** Light shown when nothing else is, until setIdle() (default 'off'). */
  idle?: Light;
  /** Oldest records are dropped beyond this, so a simulated gate can run for days (default 1000). */
  historyLimit?: number;
  timers?: Timers;
}

/** What the simulator did, in order, for tests and a console view. */
export type SimIndicatorOp =
  | { op: 'start' | 'stop' | 'silence' }
  | { op: 'show'; light: Light; blink: boolean; forMs?: number }
  | { op: 'idle'; light: Light }
  /** A timed show() ended and the idle light came back. */
  | { op: 'revert'; light: Light }
  | { op: 'beep'; pattern: BeepPattern }
  | { op: 'beep-end'; pattern: BeepPattern };

export type SimIndicatorRecord = SimIndicatorOp & { at: number };

export class SimIndicator extends TypedEventEmitter<IndicatorEvents> implements IndicatorPort {
  readonly history: SimIndicatorRecord[] = [];
  readonly #historyLimit: number;
  readonly #timers: Timers;
  #idle: Light;
  #started = false;
  #light: Light = 'off';
  #blinking = false;
  #beeping: BeepPattern | null = null;
  #revertTimer: TimerHandle | undefined;
  #beepTimer: TimerHandle | undefined;

  constructor(options: SimIndicatorOptions = {}) {
    super();
    this.#idle = options.idle ?? 'off';
    this.#historyLimit = options.historyLimit ?? 1000;
    this.#timers = options.timers ?? realTimers;
  }

  get state(): IndicatorState {
    return { light: this.#light, blinking: this.#blinking, beeping: this.#beeping };
  }

  get idle(): Light {
    return this.#idle;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#record({ op: 'start' });
    this.#showIdle();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#cancelRevert();
    this.#cancelBeep();
    // A stopped lane is dark and quiet, as when the driver lets go of its lines.
    this.#light = 'off';
    this.#blinking = false;
    this.#started = false;
    this.#record({ op: 'stop' });
  }

  async show(light: Light, opts: ShowLightOptions = {}): Promise<void> {
    checkShowArgs(light, opts);
    this.#assertStarted();
    this.#cancelRevert();
    this.#light = light;
    this.#blinking = opts.blink ?? false;
    const { forMs } = opts;
    this.#record(forMs === undefined ? { op: 'show', light, blink: this.#blinking } : { op: 'show', light, blink: this.#blinking, forMs });
    if (forMs === undefined) return;
    this.#revertTimer = this.#timers.setTimeout(() => {
      this.#revertTimer = undefined;
      this.#showIdle();
      this.#record({ op: 'revert', light: this.#idle });
    }, forMs);
  }

  async beep(pattern: BeepPattern): Promise<void> {
    checkPattern(pattern);
    this.#assertStarted();
    this.#cancelBeep();
    this.#beeping = pattern;
    this.#record({ op: 'beep', pattern });
    if (pattern === 'alarm') return;
    const ms = BEEP_TIMINGS[pattern].reduce((sum, part) => sum + part, 0);
    this.#beepTimer = this.#timers.setTimeout(() => {
      this.#beepTimer = undefined;
      this.#beeping = null;
      this.#record({ op: 'beep-end', pattern });
    }, ms);
  }

  async silence(): Promise<void> {
    this.#assertStarted();
    this.#cancelBeep();
    this.#record({ op: 'silence' });
  }

  setIdle(light: Light): void {
    checkLight(light);
    this.#idle = light;
    this.#record({ op: 'idle', light });
    if (this.#started && this.#revertTimer === undefined) this.#showIdle();
  }

  #showIdle(): void {
    this.#light = this.#idle;
    this.#blinking = false;
  }

  #cancelRevert(): void {
    this.#timers.clearTimeout(this.#revertTimer);
    this.#revertTimer = undefined;
  }

  #cancelBeep(): void {
    this.#timers.clearTimeout(this.#beepTimer);
    this.#beepTimer = undefined;
    this.#beeping = null;
  }

  #assertStarted(): void {
    if (!this.#started) throw new DeviceError('not_started', 'indicator is not started');
  }

  #record(op: SimIndicatorOp): void {
    this.history.push({ ...op, at: this.#timers.now() });
    if (this.history.length > this.#historyLimit) this.history.splice(0, this.history.length - this.#historyLimit);
  }
}
