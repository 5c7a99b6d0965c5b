import { DeviceError } from '../errors.ts';
import { loadOnoff, type GpioCallback, type GpioFactory, type GpioLike } from '../gpio/binding.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type Timers } from '../timers.ts';
import { FrameAssembler } from './frame.ts';
import type { WiegandEvents, WiegandReader } from './port.ts';

export interface WiegandPins {
  /** DATA0 (green wire): a low pulse is a 0 bit. */
  d0: number;
  /** DATA1 (white wire): a low pulse is a 1 bit. */
  d1: number;
}

export interface GpioWiegandOptions {
  pins: WiegandPins;
  /** Silence that ends a frame, default 25 ms. */
  frameTimeoutMs?: number;
  /** Shorter frames are dropped as noise, default 4 bits. */
  minBits?: number;
  gpio?: GpioFactory;
  timers?: Timers;
}

/**
 * A Wiegand reader on two GPIO inputs. Both lines idle high (the reader pulls them up); each
 * bit is a 50-100 us low pulse on one of them, so only falling edges are watched: the pulse is
 * over long before a user-space interrupt handler could measure it. The kernel queues one edge
 * per line between reads, so a handler that falls behind by more than one bit period loses
 * bits; that shows up as a bad length or parity, never as a wrong card number.
 */
export class GpioWiegandReader extends TypedEventEmitter<WiegandEvents> implements WiegandReader {
  readonly #pins: WiegandPins;
  readonly #gpio: GpioFactory | undefined;
  readonly #assembler: FrameAssembler;
  #lines: { d0: GpioLike; d1: GpioLike } | undefined;

  constructor(options: GpioWiegandOptions) {
    super();
    this.#pins = options.pins;
    this.#gpio = options.gpio;
    this.#assembler = new FrameAssembler({
      frameTimeoutMs: options.frameTimeoutMs ?? 25,
      minBits: options.minBits ?? 4,
      maxBits: 64,
      timers: options.timers ?? realTimers,
      onCard: (card) => this.emit('card', card),
      onError: (error) => this.emit('error', error),
    });
  }

  /** Frames dropped as noise since construction. */
  get noise(): number {
    return this.#assembler.noise;
  }

  async start(): Promise<void> {
    if (this.#lines) return;
    if (this.#pins.d0 === this.#pins.d1) throw new DeviceError('invalid_argument', 'd0 and d1 must be different lines', { ...this.#pins });
    const gpio = this.#gpio ?? (await loadOnoff());
    const d0 = gpio(this.#pins.d0, 'in', 'falling');
    let d1: GpioLike;
    try {
      d1 = gpio(this.#pins.d1, 'in', 'falling');
    } catch (error) {
      d0.unexport();
      throw error;
    }
    this.#lines = { d0, d1 };
    d0.watch(this.#onD0);
    d1.watch(this.#onD1);
  }

  async stop(): Promise<void> {
    const lines = this.#lines;
    if (!lines) return;
    this.#lines = undefined;
    lines.d0.unwatch(this.#onD0);
    lines.d1.unwatch(this.#onD1);
    this.#assembler.reset();
    lines.d0.unexport();
    lines.d1.unexport();
  }

  #onD0: GpioCallback = (err) => this.#onPulse(err, 0);
  #onD1: GpioCallback = (err) => this.#onPulse(err, 1);

  #onPulse(err: Error | null | undefined, bit: 0 | 1): void {
    const lines = this.#lines;
    if (!lines) return;
    if (err) {
      this.emit('error', err);
      return;
    }
    // The other line low as well: a short circuit or interference, not a bit.
    let other: number;
    try {
      other = (bit === 0 ? lines.d1 : lines.d0).readSync();
    } catch (error) {
      this.emit('error', error as Error);
      return;
    }
    if (other === 0) this.#assembler.garbled();
    else this.#assembler.bit(bit);
  }
}
