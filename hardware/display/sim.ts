import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { fitLines } from '../../shared/text/fit.ts';
import { checkLines, checkShowArgs } from './port.ts';
import type { DisplayEvents, DisplayPort, DisplayTone, ShowTextOptions } from './port.ts';

export interface SimDisplayOptions {
  /** Default 4. */
  rows?: number;
  /** Default 20. */
  columns?: number;
  /** Text shown when nothing else is, until setIdle() (default none). */
  idle?: string[];
  /** Oldest records are dropped beyond this, so a simulated gate can run for days (default 1000). */
  historyLimit?: number;
  timers?: Timers;
}

/** What the simulator did, in order, for tests and a console view. Lines are as fitted to the display. */
export type SimDisplayOp =
  | { op: 'start' | 'stop' }
  | { op: 'show'; lines: string[]; tone: DisplayTone; forMs?: number }
  | { op: 'idle'; lines: string[] }
  /** A timed show() ended and the idle text came back. */
  | { op: 'revert'; lines: string[] };

export type SimDisplayRecord = SimDisplayOp & { at: number };

export class SimDisplay extends TypedEventEmitter<DisplayEvents> implements DisplayPort {
  readonly rows: number;
  readonly columns: number;
  readonly history: SimDisplayRecord[] = [];
  readonly #historyLimit: number;
  readonly #timers: Timers;
  #idle: string[];
  #started = false;
  #lines: string[] = [];
  #tone: DisplayTone = 'info';
  #revertTimer: TimerHandle | undefined;

  constructor(options: SimDisplayOptions = {}) {
    super();
    this.rows = options.rows ?? 4;
    this.columns = options.columns ?? 20;
    this.#idle = this.#fit(options.idle ?? []);
    this.#historyLimit = options.historyLimit ?? 1000;
    this.#timers = options.timers ?? realTimers;
  }

  get lines(): string[] {
    return [...this.#lines];
  }

  /** The tone of the text shown now, for a console view (idle text is 'info'). */
  get tone(): DisplayTone {
    return this.#tone;
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
    // A stopped display is blank, as when the driver clears it before closing the port.
    this.#lines = [];
    this.#tone = 'info';
    this.#started = false;
    this.#record({ op: 'stop' });
  }

  async show(lines: string[], opts: ShowTextOptions = {}): Promise<void> {
    checkShowArgs(lines, opts);
    if (!this.#started) throw new DeviceError('not_started', 'display is not started');
    this.#cancelRevert();
    this.#lines = this.#fit(lines);
    this.#tone = opts.tone ?? 'info';
    const { forMs } = opts;
    const shown = { op: 'show', lines: this.lines, tone: this.#tone } as const;
    this.#record(forMs === undefined ? shown : { ...shown, forMs });
    if (forMs === undefined) return;
    this.#revertTimer = this.#timers.setTimeout(() => {
      this.#revertTimer = undefined;
      this.#showIdle();
      this.#record({ op: 'revert', lines: this.lines });
    }, forMs);
  }

  setIdle(lines: string[]): void {
    checkLines(lines);
    this.#idle = this.#fit(lines);
    this.#record({ op: 'idle', lines: [...this.#idle] });
    if (this.#started && this.#revertTimer === undefined) this.#showIdle();
  }

  #fit(lines: string[]): string[] {
    return fitLines(lines, this.rows, this.columns);
  }

  #showIdle(): void {
    this.#lines = [...this.#idle];
    this.#tone = 'info';
  }

  #cancelRevert(): void {
    this.#timers.clearTimeout(this.#revertTimer);
    this.#revertTimer = undefined;
  }

  #record(op: SimDisplayOp): void {
    this.history.push({ ...op, at: this.#timers.now() });
    if (this.history.length > this.#historyLimit) this.history.splice(0, this.history.length - this.#historyLimit);
  }
}
