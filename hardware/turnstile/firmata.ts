import type { FirmataBoardOptions } from '../gpio/firmata.ts';
import type { LineBoard } from '../gpio/lines.ts';
import { LineTurnstile, type LineTurnstileOptions } from './lines.ts';

export interface FirmataTurnstileOptions extends LineTurnstileOptions, FirmataBoardOptions {}

/**
 * A turnstile controller wired to a Firmata board (an Arduino running StandardFirmata on a USB
 * serial port), for gates whose computer has no GPIO. Pins are the board's digital pin numbers.
 * Same behaviour as the GPIO driver (LineTurnstile); johnny-five is loaded in start() only.
 */
export class FirmataTurnstile extends LineTurnstile {
  readonly #board: FirmataBoardOptions;

  constructor(options: FirmataTurnstileOptions) {
    super(options);
    this.#board = { port: options.port, io: options.io, pullup: options.pullup, readyTimeoutMs: options.readyTimeoutMs };
  }

  protected override async openBoard(onError: (error: Error) => void): Promise<LineBoard> {
    const { openFirmataBoard } = await import('../gpio/firmata.ts');
    return openFirmataBoard(this.#board, onError);
  }
}
