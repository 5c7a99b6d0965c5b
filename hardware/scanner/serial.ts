import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { SerialLine, type SerialBinding } from '../serial/line.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { LineFramer, type LineOutput, type Suffix } from './lines.ts';
import type { Scanner, ScannerEvents } from './port.ts';

/** Host commands as bytes; defaults and their origin in create.ts. */
export interface ScannerCommands {
  trigger: Buffer;
  untrigger: Buffer;
  beep: Buffer;
}

export interface SerialScannerOptions {
  path: string;
  baudRate: number;
  suffix: Suffix;
  maxLength: number;
  /** Quiet time that ends a code when suffix is 'none'. */
  idleMs: number;
  /** Quiet time after which an unterminated fragment is dropped (suffix other than 'none'). */
  partialTimeoutMs: number;
  commands: ScannerCommands;
  /** Reported as `source`; default: the path. */
  source?: string;
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
  reconnectMs?: number;
  reconnectMaxMs?: number;
}

/**
 * A barcode/QR scanner on a serial line (RS-232, or USB in CDC/virtual COM mode): codes arrive
 * as text lines, layered as SerialLine -> LineFramer -> this driver. Framing faults become
 * `error` events (DeviceError bad_frame / line_too_long) and the next code reads normally.
 */
export class SerialScanner extends TypedEventEmitter<ScannerEvents> implements Scanner {
  readonly source: string;
  readonly #options: SerialScannerOptions;
  readonly #timers: Timers;
  readonly #log: Logger;
  #line: SerialLine | undefined;
  #framer: LineFramer | undefined;
  #idle: TimerHandle | undefined;

  constructor(options: SerialScannerOptions) {
    super();
    this.#options = options;
    this.source = options.source ?? options.path;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
  }

  get isOpen(): boolean {
    return this.#line?.isOpen ?? false;
  }

  async start(): Promise<void> {
    if (this.#line) return;
    const o = this.#options;
    this.#framer = new LineFramer({ suffix: o.suffix, maxLength: o.maxLength });
    const line = new SerialLine({
      path: o.path, baudRate: o.baudRate, binding: o.binding, timers: this.#timers, log: this.#log,
      reconnectMs: o.reconnectMs, reconnectMaxMs: o.reconnectMaxMs,
    });
    line.on('data', (chunk) => this.#onData(chunk));
    line.on('error', (err) => this.#error(err));
    // A reconnect starts a fresh stream: a fragment from before the unplug is not half a code.
    line.on('open', () => this.#framer && (this.#framer = new LineFramer({ suffix: o.suffix, maxLength: o.maxLength })));
    this.#line = line;
    await line.start();
  }

  async stop(): Promise<void> {
    this.#clearIdle();
    const line = this.#line;
    this.#line = undefined;
    this.#framer = undefined;
    await line?.stop();
  }

  /** Waits until the port is open (after start(), or after a reconnect). */
  waitOpen(timeoutMs?: number): Promise<void> {
    if (!this.#line) return Promise.reject(new DeviceError('not_started', 'scanner is not started'));
    return this.#line.waitOpen(timeoutMs);
  }

  /** Starts a scan (scanners in serial trigger mode read only after this). */
  trigger(): Promise<void> { return this.#send(this.#options.commands.trigger, 'trigger'); }

  /** Ends a scan started by trigger(). */
  untrigger(): Promise<void> { return this.#send(this.#options.commands.untrigger, 'untrigger'); }

  /** Makes the scanner beep (feedback after a decision). */
  beep(): Promise<void> { return this.#send(this.#options.commands.beep, 'beep'); }

  #send(bytes: Buffer, what: string): Promise<void> {
    if (!this.#line) return Promise.reject(new DeviceError('not_started', 'scanner is not started'));
    if (bytes.length === 0) return Promise.reject(new DeviceError('not_wired', `no ${what} command configured`));
    return this.#line.write(bytes);
  }

  #onData(chunk: Buffer): void {
    const framer = this.#framer;
    if (!framer) return;
    this.#deliver(framer.push(chunk));
    this.#clearIdle();
    if (framer.pending) {
      const ms = this.#options.suffix === 'none' ? this.#options.idleMs : this.#options.partialTimeoutMs;
      this.#idle = this.#timers.setTimeout(() => {
        this.#idle = undefined;
        if (this.#framer === framer) this.#deliver(framer.idle());
      }, ms);
    }
  }

  #deliver(outputs: LineOutput[]): void {
    for (const out of outputs) {
      if ('line' in out) {
        this.#log.debug(() => ({ source: this.source, length: out.line.length }), 'code read');
        this.emit('code', { text: out.line, source: this.source });
      } else {
        this.#error(out.error);
      }
    }
  }

  #error(err: Error): void {
    this.#log.warn({ source: this.source, err: err.message, code: (err as DeviceError).code }, 'scanner error');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #clearIdle(): void {
    if (this.#idle !== undefined) this.#timers.clearTimeout(this.#idle);
    this.#idle = undefined;
  }
}
