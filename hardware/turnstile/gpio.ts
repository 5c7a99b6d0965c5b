import type { GpioFactory } from '../gpio/binding.ts';
import { openGpioBoard, type LineBoard } from '../gpio/lines.ts';
import { LineTurnstile, type LineTurnstileOptions } from './lines.ts';

export type { GpioFactory, GpioLike } from '../gpio/binding.ts';
export type { TurnstilePins } from './lines.ts';

export interface GpioTurnstileOptions extends LineTurnstileOptions {
  /** Injected GPIO binding; by default onoff, loaded in start(). */
  gpio?: GpioFactory;
}

/** A turnstile controller wired to this machine's GPIO (see LineTurnstile for the behaviour). */
export class GpioTurnstile extends LineTurnstile {
  readonly #gpio: GpioFactory | undefined;

  constructor(options: GpioTurnstileOptions) {
    super(options);
    this.#gpio = options.gpio;
  }

  protected override openBoard(): Promise<LineBoard> {
    return openGpioBoard(this.#gpio);
  }
}
