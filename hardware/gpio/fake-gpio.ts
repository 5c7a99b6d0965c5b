import type { GpioCallback, GpioDirection, GpioEdge, GpioFactory, GpioLevel, GpioLike } from './binding.ts';

/**
 * A GPIO binding for tests, the shape of onoff's `Gpio` as far as the drivers use it: it keeps
 * line levels, records writes, and calls watchers only for the edges a line was exported with,
 * as the kernel does. Tests move inputs with set() and pulse().
 */
export class FakeGpioLine implements GpioLike {
  value: GpioLevel;
  unexported = false;
  readonly watchers = new Set<GpioCallback>();

  constructor(
    readonly board: FakeGpio,
    readonly pin: number,
    readonly direction: GpioDirection,
    readonly edge: GpioEdge,
  ) {
    this.value = direction === 'high' ? 1 : direction === 'low' ? 0 : board.idleInput;
  }

  readSync(): GpioLevel {
    if (this.unexported) throw new Error(`pin ${this.pin} read after unexport`);
    return this.value;
  }

  writeSync(value: GpioLevel): void {
    if (this.unexported) throw new Error(`pin ${this.pin} written after unexport`);
    if (this.direction === 'in') throw new Error(`pin ${this.pin} is an input`);
    this.value = value;
    this.board.writes.push([this.pin, value]);
  }

  watch(callback: GpioCallback): void {
    this.watchers.add(callback);
  }

  unwatch(callback?: GpioCallback): void {
    if (callback) this.watchers.delete(callback);
    else this.watchers.clear();
  }

  unexport(): void {
    this.unwatch();
    this.unexported = true;
  }
}

export class FakeGpio {
  readonly lines = new Map<number, FakeGpioLine>();
  readonly writes: [pin: number, value: GpioLevel][] = [];
  /** Lines that fail to export, to test clean-up after a partial start. */
  readonly failing = new Set<number>();

  /** `idleInput` is the level inputs read before a test moves them. */
  constructor(readonly idleInput: GpioLevel = 0) {}

  readonly factory: GpioFactory = (pin, direction, edge) => {
    if (this.failing.has(pin)) throw new Error(`EBUSY: pin ${pin} is in use`);
    const line = new FakeGpioLine(this, pin, direction, edge ?? 'none');
    this.lines.set(pin, line);
    return line;
  };

  line(pin: number): FakeGpioLine {
    const line = this.lines.get(pin);
    if (!line) throw new Error(`pin ${pin} not exported`);
    return line;
  }

  /** The outside world drives an input; watchers see the edge if they asked for it. */
  set(pin: number, value: GpioLevel): void {
    const line = this.line(pin);
    const old = line.value;
    line.value = value;
    if (old === value) return;
    const wanted = line.edge === 'both' || (line.edge === 'rising' && value === 1) || (line.edge === 'falling' && value === 0);
    if (!wanted) return;
    for (const watcher of [...line.watchers]) watcher(null, value);
  }

  /** A pulse shorter than any timer: to `level` and straight back. */
  pulse(pins: number[], level: GpioLevel = 0): void {
    for (const pin of pins) this.set(pin, level);
    for (const pin of pins) this.set(pin, level === 0 ? 1 : 0);
  }

  /** An interrupt that reports a failure (onoff passes the error to every watcher). */
  fail(pin: number, error: Error): void {
    const line = this.line(pin);
    for (const watcher of [...line.watchers]) watcher(error, line.value);
  }
}
