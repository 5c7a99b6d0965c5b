import { open, type FileHandle } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { PrinterError } from '../../shared/print/errors.ts';

/**
 * Where printer bytes go: a serial line (../serial/line.ts SerialLine fits this shape), a
 * device file, or the simulator in memory. `duplex` says whether answers can come back: only
 * then can the driver ask the printer for its status.
 */
export interface ByteLine {
  readonly duplex: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  write(data: Buffer): Promise<void>;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/**
 * A printer's device file (/dev/usb/lp0, a parallel port, a FIFO): opened for writing on
 * start(), written in order, closed on stop(). Nothing comes back, so status is unknown.
 */
export class FileLine implements ByteLine {
  readonly duplex = false;
  readonly path: string;
  #file: FileHandle | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async start(): Promise<void> {
    if (this.#file) return;
    try {
      // 'a' rather than 'w': a device file must not be truncated, and a plain file keeps every job.
      this.#file = await open(this.path, 'a');
    } catch (err) {
      throw new PrinterError('offline', `cannot open ${this.path}: ${(err as Error).message}`, { path: this.path }, { cause: err });
    }
  }

  async stop(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close();
  }

  async write(data: Buffer): Promise<void> {
    if (!this.#file) throw new PrinterError('not_started', `${this.path} is not open`);
    let done = 0;
    while (done < data.length) done += (await this.#file.write(data, done)).bytesWritten;
  }

  on(): this {
    return this;
  }

  off(): this {
    return this;
  }
}

/** One end of an in-memory cable: what is written here comes out of the peer's 'data', a tick later. */
export class MemoryLine implements ByteLine {
  readonly duplex = true;
  readonly #events = new EventEmitter();
  peer: MemoryLine | undefined;
  #open = false;

  /** Two ends joined. */
  static pair(): [MemoryLine, MemoryLine] {
    const a = new MemoryLine();
    const b = new MemoryLine();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  async start(): Promise<void> {
    this.#open = true;
  }

  async stop(): Promise<void> {
    this.#open = false;
  }

  async write(data: Buffer): Promise<void> {
    if (!this.#open) throw new PrinterError('offline', 'line is not open');
    const peer = this.peer;
    const copy = Buffer.from(data);
    setImmediate(() => {
      if (peer && peer.#open) peer.#events.emit('data', copy);
    });
  }

  on(event: 'data', listener: (chunk: Buffer) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  off(event: 'data', listener: (chunk: Buffer) => void): this {
    this.#events.off(event, listener);
    return this;
  }
}
