import type { OpenOptions, SerialPortStream } from '@serialport/stream';
import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';

/**
 * The thin serial layer under every serial driver: opens a port by path and baud rate, hands
 * up raw chunks as they arrive (framing is the caller's job), writes bytes, and when the
 * device disappears (USB adapter pulled, socat gone) reopens it with exponential backoff.
 *
 * ```ts
 * const line = new SerialLine({ path: '/dev/ttyUSB0', baudRate: 115200, log });
 * line.on('data', (chunk) => parser.push(chunk));
 * line.on('error', (err) => ...);   // DeviceError 'serial_unavailable' while it cannot open
 * line.on('open', () => ...);       // after the first open and after each reconnect
 * await line.start();               // resolves after the first attempt, opened or not
 * await line.write(Buffer.from([0x16, 0x54, 0x0d]));
 * await line.stop();                // closes the port and cancels any reconnect
 * ```
 *
 * The binding defaults to serialport's native one (loaded in start(), so nothing native is
 * required just by importing this module); tests may pass `@serialport/binding-mock`'s
 * MockBinding, or open a real pseudo-terminal pair (testing/pty.ts).
 */
/** A serialport binding (native, mock, ...); the interface from @serialport/bindings-interface. */
export type SerialBinding = OpenOptions['binding'];

export interface SerialLineOptions {
  path: string;
  baudRate: number;
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
  /** First reconnect delay, doubled after each failed attempt up to `reconnectMaxMs`. */
  reconnectMs?: number;
  reconnectMaxMs?: number;
}

export interface SerialLineEvents {
  data: Buffer;
  open: { path: string };
  /** The port closed under us (device gone); a reconnect is scheduled. */
  close: { path: string };
  error: Error;
}

export class SerialLine extends TypedEventEmitter<SerialLineEvents> {
  readonly path: string;
  readonly baudRate: number;
  readonly #options: SerialLineOptions;
  readonly #timers: Timers;
  readonly #log: Logger;
  #port: SerialPortStream | undefined;
  #started = false;
  #retry: TimerHandle | undefined;
  #failures = 0;
  #connecting: Promise<void> | undefined;

  constructor(options: SerialLineOptions) {
    super();
    this.path = options.path;
    this.baudRate = options.baudRate;
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
  }

  get isOpen(): boolean {
    return this.#port?.isOpen ?? false;
  }

  /** Tries to open once; on failure reports `serial_unavailable` and keeps retrying until stop(). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#failures = 0;
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#retry !== undefined) this.#timers.clearTimeout(this.#retry);
    this.#retry = undefined;
    await this.#connecting?.catch(() => undefined);
    const port = this.#port;
    this.#port = undefined;
    if (port) await closePort(port);
  }

  /** Resolves when the bytes are handed to the OS. Rejects with `serial_unavailable` while closed. */
  write(data: Buffer): Promise<void> {
    const port = this.#port;
    if (!port?.isOpen) {
      return Promise.reject(new DeviceError('serial_unavailable', `${this.path} is not open`, { path: this.path }));
    }
    return new Promise((resolve, reject) => {
      port.write(data, (err) => {
        if (err) reject(new DeviceError('serial_unavailable', `write to ${this.path} failed: ${err.message}`, { path: this.path }, { cause: err }));
        else resolve();
      });
    });
  }

  /** Waits until one open succeeded (or rejects after `timeoutMs`); for tests and boot checks. */
  waitOpen(timeoutMs = 5000): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('open', onOpen);
        reject(new DeviceError('timeout', `${this.path} did not open within ${timeoutMs} ms`, { path: this.path }));
      }, timeoutMs);
      const onOpen = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('open', onOpen);
    });
  }

  #connect(): Promise<void> {
    this.#connecting = this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    let port: SerialPortStream;
    try {
      const binding = this.#options.binding ?? (await import('serialport')).SerialPort.binding;
      const { SerialPortStream } = await import('@serialport/stream');
      port = new SerialPortStream({ binding, path: this.path, baudRate: this.baudRate, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.#failed(err as Error);
      return;
    }
    if (!this.#started) {
      await closePort(port); // stop() came while opening
      return;
    }
    this.#port = port;
    this.#failures = 0;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('error', (err: Error) => this.#report(new DeviceError('serial_unavailable', `${this.path}: ${err.message}`, { path: this.path }, { cause: err })));
    port.once('close', () => {
      if (this.#port !== port) return; // our own stop()
      this.#port = undefined;
      port.removeAllListeners('data');
      this.#log.warn({ path: this.path }, 'serial port closed; reconnecting');
      this.emit('close', { path: this.path });
      this.#schedule();
    });
    this.#log.info({ path: this.path, baudRate: this.baudRate }, 'serial port open');
    this.emit('open', { path: this.path });
  }

  #failed(err: Error): void {
    if (!this.#started) return;
    this.#failures++;
    // Report the first failure of a run, not every retry: an unplugged reader must not flood the log.
    if (this.#failures === 1) {
      this.#report(new DeviceError('serial_unavailable', `cannot open ${this.path}: ${err.message}`, { path: this.path }, { cause: err }));
    }
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#started || this.#retry !== undefined) return;
    const first = this.#options.reconnectMs ?? 250;
    const max = this.#options.reconnectMaxMs ?? 10_000;
    const delay = Math.min(max, first * 2 ** Math.max(0, this.#failures - 1));
    this.#log.debug(() => ({ path: this.path, delay }), 'serial reconnect scheduled');
    this.#retry = this.#timers.setTimeout(() => {
      this.#retry = undefined;
      if (this.#started) void this.#connect();
    }, delay);
  }

  #report(err: Error): void {
    this.#log.warn({ path: this.path, err: err.message }, 'serial error');
    // Node throws on an unheard 'error'; a serial hiccup must never take the process down.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

function closePort(port: SerialPortStream): Promise<void> {
  port.removeAllListeners('data');
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

/** A protocol's host end over a serial line: fed the line's bytes, told when it opens and closes. */
export interface LineHost {
  receive(chunk: Buffer): void;
  open(): void;
  close(): void;
}

/** The line settings a driver takes from its own options. */
export type LineSettings = Pick<SerialLineOptions, 'path' | 'baudRate' | 'binding' | 'reconnectMs' | 'reconnectMaxMs'>;

/**
 * A serial line with a protocol host on it, wired the one way every command/answer driver
 * (PN532, SAM, fingerprint) needs: bytes to the host, the host opened and closed with the
 * line, line errors to the driver; `on.open` / `on.close` run after the host's own.
 */
export function hostOnLine<H extends LineHost>(
  settings: LineSettings & { timers: Timers; log: Logger },
  makeHost: (write: (bytes: Buffer) => Promise<void>) => H,
  on: { error(err: Error): void; open?(): void; close?(): void },
): { line: SerialLine; host: H } {
  const { path, baudRate, binding, reconnectMs, reconnectMaxMs, timers, log } = settings;
  const line = new SerialLine({ path, baudRate, binding, timers, log, reconnectMs, reconnectMaxMs });
  const host = makeHost((bytes) => line.write(bytes));
  line.on('data', (chunk) => host.receive(chunk));
  line.on('error', (err) => on.error(err));
  line.on('open', () => {
    host.open();
    on.open?.();
  });
  line.on('close', () => {
    host.close();
    on.close?.();
  });
  return { line, host };
}
