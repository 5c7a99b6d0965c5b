import { DeviceError } from '../errors.ts';
import type { TimerHandle, Timers } from '../timers.ts';
import { encodeSamFrame, SamFrameParser } from './sam-frame.ts';

/** Commands (CMD, PARA) of the SAM protocol used by a reader (GA 467). */
export const SAM_CMD = {
  find: [0x20, 0x01],
  select: [0x20, 0x02],
  readBasic: [0x30, 0x01],
} as const;

/** SW3 status codes (SW1 SW2 are 00 00). */
export const SW = {
  ok: 0x90,
  found: 0x9f,
  notFound: 0x80,
  selectFailed: 0x81,
  readFailed: 0x41,
  /** The SAM received our frame with a bad checksum. */
  checksum: 0x10,
  length: 0x11,
  badCommand: 0x21,
} as const;

export interface SamAnswer {
  sw: [number, number, number];
  data: Buffer;
}

export interface SamHostOptions {
  write(bytes: Buffer): Promise<void>;
  timers: Timers;
  responseTimeoutMs: number;
  onError(err: DeviceError): void;
}

interface Pending {
  timer: TimerHandle;
  resolve(a: SamAnswer): void;
  reject(err: Error): void;
}

/**
 * The terminal's end of the SAM protocol: one command at a time, each answered by one frame.
 * A response that arrives when none is awaited (late, after a timeout) is reported and dropped.
 */
export class SamHost {
  readonly #o: SamHostOptions;
  readonly #parser = new SamFrameParser();
  #pending: Pending | undefined;
  #closed = false;

  constructor(options: SamHostOptions) {
    this.#o = options;
  }

  receive(chunk: Buffer): void {
    for (const out of this.#parser.push(chunk)) {
      if ('error' in out) {
        this.#o.onError(out.error);
        continue;
      }
      const p = this.#pending;
      if (!p || out.body.length < 3) {
        this.#o.onError(new DeviceError('bad_frame', p ? 'response without status' : 'unexpected frame from SAM', { length: out.body.length }));
        continue;
      }
      this.#settle(p, undefined, { sw: [out.body[0]!, out.body[1]!, out.body[2]!], data: out.body.subarray(3) });
    }
  }

  /** Sends CMD PARA DATA; resolves with the status words and data (any status: the caller judges). */
  command(cmd: readonly [number, number], data: Buffer = Buffer.alloc(0)): Promise<SamAnswer> {
    if (this.#closed) return Promise.reject(new DeviceError('serial_unavailable', 'SAM line closed'));
    if (this.#pending) return Promise.reject(new DeviceError('busy', 'a SAM command is in progress'));
    return new Promise<SamAnswer>((resolve, reject) => {
      const timer = this.#o.timers.setTimeout(() => {
        this.#parser.reset();
        this.#settle(p, new DeviceError('timeout', `SAM did not answer ${hex(cmd)}`, { cmd: hex(cmd) }));
      }, this.#o.responseTimeoutMs);
      const p: Pending = { timer, resolve, reject };
      this.#pending = p;
      this.#o.write(encodeSamFrame(Buffer.concat([Buffer.from(cmd), data]))).catch((err: Error) => this.#settle(p, err));
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#pending) this.#settle(this.#pending, new DeviceError('serial_unavailable', 'SAM line closed'));
    this.#parser.reset();
  }

  open(): void {
    this.#closed = false;
    this.#parser.reset();
  }

  #settle(p: Pending, err: Error | undefined, answer?: SamAnswer): void {
    if (this.#pending !== p) return;
    this.#pending = undefined;
    this.#o.timers.clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(answer!);
  }
}

function hex(cmd: readonly number[]): string {
  return cmd.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
