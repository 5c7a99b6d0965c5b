import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type Timers } from '../timers.ts';
import { encodeWiegand, type Bit, type WiegandKind } from './codec.ts';
import { FrameAssembler } from './frame.ts';
import type { WiegandEvents, WiegandReader } from './port.ts';

export interface SimWiegandOptions {
  /** Frame length of present() when none is given (default 'wiegand34'). */
  kind?: WiegandKind;
  frameTimeoutMs?: number;
  timers?: Timers;
}

/**
 * A Wiegand reader without wires: present() encodes the card as the reader would, bits and
 * parity, and the frame goes through the same assembler and decoder as on the GPIO driver,
 * ending after the same silence. sendBits() sends any frame, broken ones included.
 */
export class SimWiegandReader extends TypedEventEmitter<WiegandEvents> implements WiegandReader {
  readonly #kind: WiegandKind;
  readonly #assembler: FrameAssembler;
  #started = false;

  constructor(options: SimWiegandOptions = {}) {
    super();
    this.#kind = options.kind ?? 'wiegand34';
    this.#assembler = new FrameAssembler({
      frameTimeoutMs: options.frameTimeoutMs ?? 25,
      minBits: 4,
      maxBits: 64,
      timers: options.timers ?? realTimers,
      onCard: (card) => this.emit('card', card),
      onError: (error) => this.emit('error', error),
    });
  }

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
    this.#assembler.reset();
  }

  /** A card is held to the reader; `uid` is its payload in hex (6 digits for 26 bits, 8 for 34). */
  present(uid: string, kind: WiegandKind = this.#kind): void {
    let bits: Bit[];
    try {
      bits = encodeWiegand(kind, uid);
    } catch (cause) {
      throw new DeviceError('invalid_argument', (cause as Error).message, { uid, kind }, { cause });
    }
    this.sendBits(bits);
  }

  sendBits(bits: readonly Bit[]): void {
    if (!this.#started) throw new DeviceError('not_started', 'reader is not started');
    for (const bit of bits) this.#assembler.bit(bit);
  }
}
