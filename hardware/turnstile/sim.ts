import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { DEFAULT_OPEN_TIMEOUT_MS } from './port.ts';
import type { Direction, Turnstile, TurnstileEvents, TurnstileState } from './port.ts';
import { Release, checkOpenArgs } from './release.ts';

export interface SimTurnstileOptions {
  /** Simulated visitors walk through every released passage (default true). */
  autoPass?: boolean;
  /** Time from the release (or the previous visitor) to the next simulated passage (default 50). */
  passDelayMs?: number;
  /** Oldest records are dropped beyond this, so a simulated gate can run for days (default 1000). */
  historyLimit?: number;
  timers?: Timers;
}

/** What the simulator did, in order, for tests and a console view. */
export type SimTurnstileOp =
  | { op: 'start' | 'stop' }
  | { op: 'open'; direction: Direction; persons: number }
  | { op: 'close'; direction: Direction; persons: number; passed: number }
  | { op: 'passage'; direction: Direction; authorized: boolean }
  | { op: 'blocked'; direction: Direction }
  | { op: 'emergency-open'; open: boolean }
  | { op: 'emergency-input'; active: boolean }
  | { op: 'alarm-input'; active: boolean };

export type SimTurnstileRecord = SimTurnstileOp & { at: number };

export class SimTurnstile extends TypedEventEmitter<TurnstileEvents> implements Turnstile {
  readonly history: SimTurnstileRecord[] = [];
  readonly #autoPass: boolean;
  readonly #passDelayMs: number;
  readonly #historyLimit: number;
  readonly #timers: Timers;
  #started = false;
  #emergencyOpen = false;
  #release: Release | undefined;
  #walker: TimerHandle | undefined;

  constructor(options: SimTurnstileOptions = {}) {
    super();
    this.#autoPass = options.autoPass ?? true;
    this.#passDelayMs = options.passDelayMs ?? 50;
    this.#historyLimit = options.historyLimit ?? 1000;
    this.#timers = options.timers ?? realTimers;
  }

  get state(): TurnstileState {
    return { emergencyOpen: this.#emergencyOpen, busy: this.#release !== undefined };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#record({ op: 'start' });
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#release?.end();
    // Like the driver, which drives its outputs inactive before letting go of them.
    this.#emergencyOpen = false;
    this.#started = false;
    this.#record({ op: 'stop' });
  }

  async open(direction: Direction, persons: number, timeoutMs = DEFAULT_OPEN_TIMEOUT_MS): Promise<{ passed: number }> {
    checkOpenArgs(direction, persons, timeoutMs);
    if (!this.#started) throw new DeviceError('not_started', 'turnstile is not started');
    if (this.#release) throw new DeviceError('busy', 'turnstile is still waiting for an earlier release');
    const release = new Release({
      direction,
      persons,
      timeoutMs,
      timers: this.#timers,
      onEnd: (r) => {
        this.#release = undefined;
        this.#timers.clearTimeout(this.#walker);
        this.#walker = undefined;
        this.#record({ op: 'close', direction, persons, passed: r.passed });
      },
    });
    this.#release = release;
    this.#record({ op: 'open', direction, persons });
    release.begin();
    this.#walkNext();
    return release.done;
  }

  async setEmergencyOpen(open: boolean): Promise<void> {
    if (!this.#started) throw new DeviceError('not_started', 'turnstile is not started');
    this.#emergencyOpen = open;
    this.#record({ op: 'emergency-open', open });
  }

  /**
   * A visitor tries to walk through. They pass when a release in that direction is waiting or
   * the leaves are held open; `force` makes them pass anyway (jumping over, pushing through).
   * Returns whether they passed.
   */
  simulatePassage(direction: Direction, options: { force?: boolean } = {}): boolean {
    if (!this.#started) throw new DeviceError('not_started', 'turnstile is not started');
    const release = this.#release;
    const authorized = release?.direction === direction;
    if (!authorized && !this.#emergencyOpen && !options.force) {
      this.#record({ op: 'blocked', direction });
      return false;
    }
    this.#record({ op: 'passage', direction, authorized });
    this.emit('passage', { direction, authorized });
    if (authorized) release.count();
    return true;
  }

  /** The fire alarm input changes. */
  simulateEmergencyInput(active: boolean): void {
    this.#record({ op: 'emergency-input', active });
    this.emit('emergency', { active });
  }

  /** The controller's alarm output changes (forced passage, tamper). */
  simulateAlarmInput(active: boolean): void {
    this.#record({ op: 'alarm-input', active });
    this.emit('alarm', { active });
  }

  #walkNext(): void {
    const release = this.#release;
    if (!this.#autoPass || !release) return;
    this.#walker = this.#timers.setTimeout(() => {
      this.#walker = undefined;
      this.simulatePassage(release.direction);
      // The next visitor steps up once the previous one is through.
      if (this.#release === release) this.#walkNext();
    }, this.#passDelayMs);
  }

  #record(op: SimTurnstileOp): void {
    this.history.push({ ...op, at: this.#timers.now() });
    if (this.history.length > this.#historyLimit) this.history.splice(0, this.history.length - this.#historyLimit);
  }
}
