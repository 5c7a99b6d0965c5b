import type { FirmataBoardOptions } from '../gpio/firmata.ts';
import type { LineBoard } from '../gpio/lines.ts';
import { LineIndicator, type LineIndicatorOptions } from './lines.ts';

export interface FirmataIndicatorOptions extends LineIndicatorOptions, Omit<FirmataBoardOptions, 'pullup'> {}

/** Lane lights and buzzer on a Firmata board's digital pins (see LineIndicator); johnny-five loads in start(). */
export class FirmataIndicator extends LineIndicator {
  readonly #board: FirmataBoardOptions;

  constructor(options: FirmataIndicatorOptions) {
    super(options);
    this.#board = { port: options.port, io: options.io, readyTimeoutMs: options.readyTimeoutMs };
  }

  protected override async openBoard(onError: (error: Error) => void): Promise<LineBoard> {
    const { openFirmataBoard } = await import('../gpio/firmata.ts');
    return openFirmataBoard(this.#board, onError);
  }
}
