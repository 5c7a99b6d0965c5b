import { isDeepStrictEqual } from 'node:util';
import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { statusRequest } from '../../shared/print/escpos.ts';
import { PrinterError } from '../../shared/print/errors.ts';
import type { ByteLine } from './line.ts';
import type { PrinterEvents, PrinterPort, PrintResult } from './port.ts';
import { isStatusByte, parseStatus, type PrinterStatus } from './status.ts';

export interface EscPosPrinterOptions {
  line: ByteLine;
  /** How long to wait for each status answer (default 1000 ms). */
  statusTimeoutMs?: number;
  /**
   * Line speed (a serial line: baud / 10). A status request sent after a job waits behind the
   * job's bytes in the port's buffer, so its answer is given that much more time.
   */
  bytesPerSecond?: number;
  timers?: Timers;
  log?: Logger;
}

interface Waiting {
  resolve: (byte: number) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

/**
 * ESC/POS printer driver: jobs are written to the line as they are; status is read with
 * DLE EOT 1, 2 and 4, one at a time, each answered by one byte. Bytes that are no status byte
 * (noise, a baud-rate mismatch) are reported and skipped, so the next real answer is read in
 * step again. An answer that comes after its timeout is dropped the same way, as unasked.
 */
export class EscPosPrinter extends TypedEventEmitter<PrinterEvents> implements PrinterPort {
  readonly #line: ByteLine;
  readonly #timeoutMs: number;
  readonly #timers: Timers;
  readonly #log: Logger;
  #started = false;
  #waiting: Waiting | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #last: PrinterStatus | undefined;
  readonly #bytesPerSecond: number | undefined;
  /** A request went unanswered: its answer may still come, and must not be taken for the next one's. */
  #stale = false;

  constructor(options: EscPosPrinterOptions) {
    super();
    this.#line = options.line;
    this.#timeoutMs = options.statusTimeoutMs ?? 1000;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
    this.#bytesPerSecond = options.bytesPerSecond;
  }

  /** The status last read, if any. */
  get lastStatus(): PrinterStatus | undefined {
    return this.#last;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#line.on('data', this.#onData);
    await this.#line.start();
    this.#started = true;
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.#queue.catch(() => undefined);
    this.#line.off('data', this.#onData);
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w) {
      this.#timers.clearTimeout(w.timer);
      w.reject(new PrinterError('not_started', 'printer stopped'));
    }
    await this.#line.stop();
  }

  status(): Promise<PrinterStatus> {
    return this.#serial(() => this.#readStatus());
  }

  print(job: Uint8Array): Promise<PrintResult> {
    if (!(job instanceof Uint8Array) || job.length === 0) return Promise.reject(new PrinterError('invalid_argument', 'a job is a non-empty byte array'));
    return this.#serial(async () => {
      const duplex = this.#line.duplex;
      if (duplex) ready(await this.#readStatus(), 'before');
      try {
        await this.#line.write(Buffer.from(job));
      } catch (err) {
        throw err instanceof PrinterError ? err : new PrinterError('write_failed', `cannot send the job: ${(err as Error).message}`, {}, { cause: err });
      }
      const inFlightMs = this.#bytesPerSecond ? Math.ceil((job.length / this.#bytesPerSecond) * 1000) : 0;
      const status = duplex ? await this.#readStatus(inFlightMs) : undefined;
      if (status) ready(status, 'after');
      this.#log.debug(() => ({ bytes: job.length, status }), 'job sent');
      return { bytes: job.length, status };
    });
  }

  /** Runs jobs and status reads one at a time, in call order. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#started) return Promise.reject(new PrinterError('not_started', 'printer is not started'));
    const run = this.#queue.catch(() => undefined).then(fn);
    this.#queue = run;
    return run;
  }

  async #readStatus(extraMs = 0): Promise<PrinterStatus> {
    if (!this.#line.duplex) throw new PrinterError('offline', 'this printer line cannot report status');
    if (this.#stale) {
      // Let a late answer arrive, unasked, and be dropped, before asking again.
      await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, this.#timeoutMs));
      this.#stale = false;
    }
    const printer = await this.#ask(1, extraMs);
    const offline = await this.#ask(2);
    const paper = await this.#ask(4);
    const status = parseStatus(printer, offline, paper);
    if (!isDeepStrictEqual(status, this.#last)) {
      this.#last = status;
      this.emit('status', status);
    }
    return status;
  }

  #ask(n: 1 | 2 | 4, extraMs = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const ms = this.#timeoutMs + extraMs;
      const timer = this.#timers.setTimeout(() => {
        this.#waiting = undefined;
        this.#stale = true;
        reject(new PrinterError('no_response', `printer did not answer status request ${n} within ${ms} ms`, { n }));
      }, ms);
      this.#waiting = { resolve, reject, timer };
      this.#line.write(statusRequest(n)).catch((err: Error) => {
        this.#timers.clearTimeout(timer);
        this.#waiting = undefined;
        reject(new PrinterError('offline', `cannot ask the printer: ${err.message}`, { n }, { cause: err }));
      });
    });
  }

  readonly #onData = (chunk: Buffer): void => {
    for (const byte of chunk) {
      if (!isStatusByte(byte)) {
        this.#problem(new PrinterError('printer_error', `not a status byte: 0x${byte.toString(16)}`, { byte }));
        continue;
      }
      const w = this.#waiting;
      if (!w) {
        this.#problem(new PrinterError('printer_error', `status byte nobody asked for: 0x${byte.toString(16)}`, { byte }));
        continue;
      }
      this.#waiting = undefined;
      this.#timers.clearTimeout(w.timer);
      w.resolve(byte);
    }
  };

  #problem(err: Error): void {
    this.#log.warn({ err: err.message }, 'printer line');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/** Throws the PrinterError that tells why the printer cannot print. */
function ready(s: PrinterStatus, when: 'before' | 'after'): void {
  const context = { status: s, when };
  const after = when === 'after' ? ' (the job may be incomplete)' : '';
  if (s.paper === 'out') throw new PrinterError('paper_out', `printer is out of paper${after}`, context);
  if (s.coverOpen) throw new PrinterError('cover_open', `printer cover is open${after}`, context);
  if (s.error) throw new PrinterError('printer_error', `printer reports an error${after}`, context);
  if (!s.online) throw new PrinterError('offline', `printer is offline${after}`, context);
}
