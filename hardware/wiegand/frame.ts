import { DeviceError } from '../errors.ts';
import type { TimerHandle, Timers } from '../timers.ts';
import { WIEGAND_LENGTHS, decodeWiegand, type Bit, type WiegandCard } from './codec.ts';

export interface FrameAssemblerOptions {
  /** A frame ends when no bit came for this long (readers send a bit every 1-2 ms, frames 250 ms or more apart). */
  frameTimeoutMs: number;
  /** Frames shorter than this are line noise (a relay switching nearby), dropped without an error. */
  minBits: number;
  /** Bits beyond this are not kept; the frame is reported as bad_length. */
  maxBits: number;
  timers: Timers;
  onCard: (card: WiegandCard) => void;
  onError: (error: DeviceError) => void;
}

/**
 * Collects bits into frames, ended by silence on both lines: Wiegand has no start or stop
 * marker, only the gap between frames. Shared by the GPIO driver and the simulator.
 */
export class FrameAssembler {
  readonly #options: FrameAssemblerOptions;
  #bits: Bit[] = [];
  #count = 0;
  #garbled = false;
  #timer: TimerHandle | undefined;
  /** Frames dropped as noise, for diagnostics. */
  noise = 0;

  constructor(options: FrameAssemblerOptions) {
    this.#options = options;
  }

  bit(bit: Bit): void {
    if (this.#bits.length < this.#options.maxBits) this.#bits.push(bit);
    this.#count++;
    this.#arm();
  }

  /** Both lines low at once: no bit can be read from it, and the frame is spoilt. */
  garbled(): void {
    this.#garbled = true;
    this.#count++;
    this.#arm();
  }

  /** Ends the frame now. */
  flush(): void {
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const bits = this.#bits;
    const count = this.#count;
    const garbled = this.#garbled;
    this.#bits = [];
    this.#count = 0;
    this.#garbled = false;
    if (count === 0) return;
    if (garbled) {
      this.#options.onError(new DeviceError('bad_frame', 'both Wiegand data lines were low at once', { bits: count }));
      return;
    }
    if (count < this.#options.minBits) {
      this.noise++;
      return;
    }
    const result = count > bits.length ? ({ ok: false, error: 'bad_length', bits: count } as const) : decodeWiegand(bits);
    if (result.ok) {
      this.#options.onCard(result.card);
    } else if (result.error === 'bad_length') {
      this.#options.onError(
        new DeviceError('bad_length', `Wiegand frame of ${result.bits} bits (expected ${WIEGAND_LENGTHS.join(' or ')})`, { bits: result.bits }),
      );
    } else {
      this.#options.onError(
        new DeviceError('bad_parity', `Wiegand ${result.bits}-bit frame failed its ${result.which} parity check`, {
          bits: result.bits,
          which: result.which,
        }),
      );
    }
  }

  /** Drops a partial frame without reporting it. */
  reset(): void {
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#bits = [];
    this.#count = 0;
    this.#garbled = false;
  }

  #arm(): void {
    const { timers, frameTimeoutMs } = this.#options;
    timers.clearTimeout(this.#timer);
    this.#timer = timers.setTimeout(() => this.flush(), frameTimeoutMs);
  }
}
