import type { GpioFactory } from '../gpio/binding.ts';
import { openGpioBoard, type LineBoard } from '../gpio/lines.ts';
import { LineIndicator, type LineIndicatorOptions } from './lines.ts';

export type { IndicatorPins } from './lines.ts';

export interface GpioIndicatorOptions extends LineIndicatorOptions {
  /** Injected GPIO binding; by default onoff, loaded in start(). */
  gpio?: GpioFactory;
}

/** Lane lights and buzzer on this machine's GPIO (see LineIndicator). */
export class GpioIndicator extends LineIndicator {
  readonly #gpio: GpioFactory | undefined;

  constructor(options: GpioIndicatorOptions) {
    super(options);
    this.#gpio = options.gpio;
  }

  protected override openBoard(): Promise<LineBoard> {
    return openGpioBoard(this.#gpio);
  }
}
