import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import type { SerialBinding } from '../serial/line.ts';
import { SerialLine } from '../serial/line.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { fitLines } from '../../shared/text/fit.ts';
import { lcdClear, lcdFrame, lcdInit } from './lcd-protocol.ts';
import { checkLines, checkShowArgs } from './port.ts';
import type { DisplayEvents, DisplayPort, DisplayTone, ShowTextOptions } from './port.ts';

/** What the driver needs of a serial line (../serial/line.ts SerialLine). */
export interface LcdLine {
  start(): Promise<void>;
  stop(): Promise<void>;
  write(data: Buffer): Promise<void>;
  on(event: 'open', listener: (e: { path: string }) => void): unknown;
  off(event: 'open', listener: (e: { path: string }) => void): unknown;
}

export interface SerialLcdOptions {
  path: string;
  baudRate?: number;
  rows?: number;
  columns?: number;
  /** 1..4 (default 4). */
  brightness?: number;
  idle?: string[];
  binding?: SerialBinding;
  /** A line of one's own (tests); default a SerialLine on `path`. */
  line?: LcdLine;
  timers?: Timers;
  log?: Logger;
}

/**
 * A serial character LCD (or VFD) speaking the customer-display command set of
 * lcd-protocol.ts. Each show() sends one frame: clear, then each fitted row at its position.
 * The display keeps no state the driver cannot resend, so after the port reopens (cable
 * pulled and back) the driver initialises it again and redraws what should be shown.
 */
export class SerialLcdDisplay extends TypedEventEmitter<DisplayEvents> implements DisplayPort {
  readonly rows: number;
  readonly columns: number;
  readonly #line: LcdLine;
  readonly #brightness: number;
  readonly #timers: Timers;
  readonly #log: Logger;
  #idle: string[];
  #lines: string[] = [];
  #tone: DisplayTone = 'info';
  #started = false;
  #revertTimer: TimerHandle | undefined;
  #writes: Promise<void> = Promise.resolve();

  constructor(options: SerialLcdOptions) {
    super();
    this.rows = options.rows ?? 4;
    this.columns = options.columns ?? 20;
    this.#brightness = options.brightness ?? 4;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
    this.#line = options.line ?? new SerialLine({ path: options.path, baudRate: options.baudRate ?? 9600, binding: options.binding, timers: options.timers, log: this.#log });
    this.#idle = fitLines(options.idle ?? [], this.rows, this.columns);
  }

  get lines(): string[] {
    return [...this.#lines];
  }

  get tone(): DisplayTone {
    return this.#tone;
  }

  /** Opens the port and shows the idle text. A port that cannot open yet is retried by the line; the text follows when it opens. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#line.on('open', this.#onOpen);
    this.#lines = [...this.#idle];
    await this.#line.start();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#cancelRevert();
    this.#started = false;
    this.#lines = [];
    this.#tone = 'info';
    // A stopped display is blank.
    await this.#send(lcdClear()).catch(() => undefined);
    this.#line.off('open', this.#onOpen);
    await this.#line.stop();
  }

  async show(lines: string[], opts: ShowTextOptions = {}): Promise<void> {
    checkShowArgs(lines, opts);
    if (!this.#started) throw new DeviceError('not_started', 'display is not started');
    this.#cancelRevert();
    this.#lines = fitLines(lines, this.rows, this.columns);
    this.#tone = opts.tone ?? 'info';
    const sent = this.#send(lcdFrame(this.#lines));
    if (opts.forMs !== undefined) {
      this.#revertTimer = this.#timers.setTimeout(() => {
        this.#revertTimer = undefined;
        this.#showIdle();
      }, opts.forMs);
    }
    await sent;
  }

  setIdle(lines: string[]): void {
    checkLines(lines);
    this.#idle = fitLines(lines, this.rows, this.columns);
    if (this.#started && this.#revertTimer === undefined) this.#showIdle();
  }

  #showIdle(): void {
    this.#lines = [...this.#idle];
    this.#tone = 'info';
    this.#send(lcdFrame(this.#lines)).catch((err: Error) => this.#report(err));
  }

  /** After each (re)open: initialise and draw what should be on the screen. */
  readonly #onOpen = (): void => {
    this.#send(Buffer.concat([lcdInit(this.#brightness), lcdFrame(this.#lines)])).catch((err: Error) => this.#report(err));
  };

  /** Writes in call order, so frames never interleave. */
  #send(bytes: Buffer): Promise<void> {
    const run = this.#writes.catch(() => undefined).then(() => this.#line.write(bytes));
    this.#writes = run;
    return run;
  }

  #cancelRevert(): void {
    this.#timers.clearTimeout(this.#revertTimer);
    this.#revertTimer = undefined;
  }

  #report(err: Error): void {
    this.#log.warn({ err: err.message }, 'display write failed');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
