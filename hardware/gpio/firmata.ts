import type { Board as FiveBoard, FirmataIo } from 'johnny-five';
import { DeviceError } from '../errors.ts';
import type { GpioCallback, GpioDirection, GpioEdge, GpioLevel, GpioLike } from './binding.ts';
import type { LineBoard } from './lines.ts';

export type { FirmataIo } from 'johnny-five';

export interface FirmataBoardOptions {
  /** Serial port of the board running StandardFirmata, e.g. /dev/ttyACM0. */
  port?: string;
  /** An IO object instead of a port: a johnny-five IO plugin, or a mock board in tests. */
  io?: FirmataIo;
  /** Inputs use the board's internal pull-up (Firmata PIN_MODE_PULLUP); for contacts to ground. */
  pullup?: boolean;
  /** How long to wait for the board to become ready and for first input reports (default 10000). */
  readyTimeoutMs?: number;
}

const FIRMATA_PULLUP = 0x0b;

/**
 * The pins of a Firmata board (an Arduino beside the turnstile controller) as lines, through
 * johnny-five. johnny-five's Pin and Button classes are not used: they poll on intervals that
 * are never cleared and debounce on real timers, so the drivers' own debounce (on injected
 * timers) is kept and the board's digital reports are taken directly. Inputs report changes
 * only: Firmata sends a port's state when an input on it changes, and the driver sees an edge
 * when a pin's reported level differs from the last.
 */
export async function openFirmataBoard(options: FirmataBoardOptions, onError: (error: Error) => void = () => {}): Promise<LineBoard> {
  let five: typeof import('johnny-five');
  try {
    five = await import('johnny-five');
  } catch (cause) {
    throw new DeviceError('firmata_unavailable', 'cannot load johnny-five (Firmata driver)', {}, { cause });
  }
  const Board = (five.default?.Board ?? five.Board) as typeof FiveBoard;
  if (!options.io && !options.port) throw new DeviceError('invalid_argument', 'a Firmata board needs a serial port');
  const timeoutMs = options.readyTimeoutMs ?? 10_000;
  // repl and sigint off: johnny-five would otherwise take over stdin and exit the process on Ctrl-C.
  const board = new Board({
    ...(options.io ? { io: options.io } : { port: options.port }),
    repl: false,
    debug: false,
    sigint: false,
    // Its own connect timeout comes later than ours, which gives the clearer message.
    timeout: timeoutMs + 1000,
  });
  // johnny-five reports a failed serial open, and its own connect timeout, as 'error' events
  // long after the constructor returned: without a listener from the start they would crash
  // the process. Before ready they fail start(); after it they go to onError.
  const phase = { now: 'opening' as 'opening' | 'open' | 'closed' };
  let failStart: (error: Error) => void = () => {};
  const report = (error: unknown, what: string) => {
    const message = error instanceof Error ? error.message : typeof error === 'object' && error && 'message' in error ? String(error.message) : String(error);
    const text = [what, message].filter(Boolean).join(': ');
    const wrapped = new DeviceError('firmata_unavailable', `Firmata board: ${text}`, { port: options.port }, { cause: error });
    if (phase.now === 'open') onError(wrapped);
    else if (phase.now === 'opening') failStart(wrapped);
  };
  board.on('error', (error: unknown) => report(error, ''));
  board.on('close', () => report(undefined, 'connection closed'));
  board.on('disconnect', () => report(undefined, 'disconnected'));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => failStart(new DeviceError('firmata_unavailable', `Firmata board${options.port ? ` on ${options.port}` : ''} not ready within ${timeoutMs} ms`, { port: options.port })), timeoutMs);
      failStart = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      board.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    phase.now = 'closed';
    // johnny-five's connect timer would fire later and report a board nobody waits for.
    clearTimeout((board as unknown as { timer?: ReturnType<typeof setTimeout> }).timer);
    await closeTransport(board.io);
    throw error;
  }
  phase.now = 'open';
  return new FirmataLines(board, options.pullup ?? false, timeoutMs, () => (phase.now = 'closed'));
}

function closeTransport(io: FirmataIo | null | undefined): Promise<void> {
  // firmata.js asks a silent board for its version after 5 s; nobody is waiting for that any more.
  const pending = (io as { reportVersionTimeoutId?: ReturnType<typeof setTimeout> } | null | undefined)?.reportVersionTimeoutId;
  if (pending) clearTimeout(pending);
  const transport = io?.transport;
  if (!transport || transport.isOpen === false) return Promise.resolve();
  return new Promise((resolve) => transport.close(() => resolve()));
}

class FirmataLines implements LineBoard {
  readonly #board: FiveBoard;
  readonly #pullup: boolean;
  readonly #timeoutMs: number;
  readonly #inputs: FirmataLine[] = [];
  readonly #onClose: () => void;

  constructor(board: FiveBoard, pullup: boolean, timeoutMs: number, onClose: () => void) {
    this.#board = board;
    this.#pullup = pullup;
    this.#timeoutMs = timeoutMs;
    this.#onClose = onClose;
  }

  line = (pin: number, direction: GpioDirection, edge?: GpioEdge): GpioLike => {
    const io = this.#board.io;
    if (!io.pins[pin]) throw new DeviceError('not_wired', `the Firmata board has no pin ${pin}`, { pin });
    const created = new FirmataLine(this.#board, pin, direction, edge ?? 'none', this.#pullup);
    if (direction === 'in') this.#inputs.push(created);
    return created;
  };

  async settle(): Promise<void> {
    const pending = this.#inputs.filter((line) => !line.known);
    if (pending.length === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const pins = this.#inputs.filter((line) => !line.known).map((line) => line.pin);
        reject(new DeviceError('firmata_unavailable', `no report from Firmata input pins ${pins.join(', ')}`, { pins }));
      }, this.#timeoutMs);
      const check = () => {
        if (this.#inputs.every((line) => line.known)) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const line of pending) line.onKnown = check;
      check();
    });
  }

  async close(): Promise<void> {
    // A closed port is expected from here on, not a failure to report.
    this.#onClose();
    await closeTransport(this.#board.io);
  }
}

class FirmataLine implements GpioLike {
  readonly pin: number;
  readonly #board: FiveBoard;
  readonly #edge: GpioEdge;
  readonly #input: boolean;
  readonly #watchers = new Set<GpioCallback>();
  #value: GpioLevel = 0;
  #unexported = false;
  known: boolean;
  onKnown: (() => void) | undefined;

  constructor(board: FiveBoard, pin: number, direction: GpioDirection, edge: GpioEdge, pullup: boolean) {
    this.#board = board;
    this.pin = pin;
    this.#edge = edge;
    this.#input = direction === 'in';
    if (this.#input) {
      this.known = false;
      board.pinMode(pin, pullup ? (board.io.MODES.PULLUP ?? FIRMATA_PULLUP) : board.io.MODES.INPUT!);
      board.digitalRead(pin, this.#onReport);
    } else {
      this.known = true;
      // Level first, then mode: StandardFirmata (2.5 on) latches a level written to a pin in input
      // mode (as its pull-up), so the pin comes up as an output already at that level instead of
      // at 0 for a moment, which on an active-low relay board would pulse the relay.
      this.#value = direction === 'high' ? 1 : 0;
      board.digitalWrite(pin, this.#value);
      board.pinMode(pin, board.io.MODES.OUTPUT!);
    }
  }

  readSync(): GpioLevel {
    return this.#value;
  }

  writeSync(value: GpioLevel): void {
    if (this.#unexported) throw new DeviceError('not_started', `Firmata pin ${this.pin} written after release`, { pin: this.pin });
    this.#value = value;
    this.#board.digitalWrite(this.pin, value);
  }

  watch(callback: GpioCallback): void {
    this.#watchers.add(callback);
  }

  unwatch(callback?: GpioCallback): void {
    if (callback) this.#watchers.delete(callback);
    else this.#watchers.clear();
  }

  unexport(): void {
    if (this.#unexported) return;
    this.#unexported = true;
    this.#watchers.clear();
    // Inputs stop reporting; outputs keep their last level, as sysfs lines do.
    if (!this.#input) return;
    const io = this.#board.io;
    io.removeListener(`digital-read-${this.pin}`, this.#onReport);
    io.reportDigitalPin(this.pin, 0);
  }

  #onReport = (raw: number): void => {
    if (this.#unexported) return;
    const value: GpioLevel = raw ? 1 : 0;
    const first = !this.known;
    const old = this.#value;
    this.#value = value;
    if (first) {
      this.known = true;
      this.onKnown?.();
      return;
    }
    if (value === old) return;
    const wanted = this.#edge === 'both' || (this.#edge === 'rising' && value === 1) || (this.#edge === 'falling' && value === 0);
    if (!wanted) return;
    for (const watcher of [...this.#watchers]) watcher(null, value);
  };
}
