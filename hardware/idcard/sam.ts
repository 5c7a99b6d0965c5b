import { DeviceError } from '../errors.ts';
import { OneCommand } from '../serial/one-command.ts';
import type { Timers } from '../timers.ts';
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

/**
 * The terminal's end of the SAM protocol: one command at a time, each answered by one frame.
 * A response that arrives when none is awaited (late, after a timeout) is reported and dropped.
 */
export class SamHost {
  readonly #o: SamHostOptions;
  readonly #parser = new SamFrameParser();
  readonly #one: OneCommand<{ cmd: readonly [number, number] }, SamAnswer>;

  constructor(options: SamHostOptions) {
    this.#o = options;
    this.#one = new OneCommand({ device: 'SAM', timers: options.timers, lost: () => this.#parser.reset() });
  }

  receive(chunk: Buffer): void {
    for (const out of this.#parser.push(chunk)) {
      if ('error' in out) {
        this.#o.onError(out.error);
        continue;
      }
      const p = this.#one.current;
      if (!p || out.body.length < 3) {
        this.#o.onError(new DeviceError('bad_frame', p ? 'response without status' : 'unexpected frame from SAM', { length: out.body.length }));
        continue;
      }
      this.#one.settle(p, undefined, { sw: [out.body[0]!, out.body[1]!, out.body[2]!], data: out.body.subarray(3) });
    }
  }

  /** Sends CMD PARA DATA; resolves with the status words and data (any status: the caller judges). */
  command(cmd: readonly [number, number], data: Buffer = Buffer.alloc(0)): Promise<SamAnswer> {
    return this.#one.send(
      { cmd },
      () => this.#o.write(encodeSamFrame(Buffer.concat([Buffer.from(cmd), data]))),
      this.#o.responseTimeoutMs,
      (c) => new DeviceError('timeout', `SAM did not answer ${hex(c.cmd)}`, { cmd: hex(c.cmd) }),
    );
  }

  close(): void {
    this.#one.close();
    this.#parser.reset();
  }

  open(): void {
    this.#one.open();
    this.#parser.reset();
  }
}

function hex(cmd: readonly number[]): string {
  return cmd.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
