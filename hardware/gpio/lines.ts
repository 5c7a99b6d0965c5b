import { loadOnoff, type GpioFactory } from './binding.ts';

/**
 * Where a driver gets its lines: GPIO through onoff, or the pins of a Firmata board. Drivers
 * written against it (turnstile, lights and buzzer) behave the same on either.
 */
export interface LineBoard {
  /** Exports one line; inputs must be created before settle(). */
  line: GpioFactory;
  /** Resolves once every input has a known level (a Firmata board reports them asynchronously). */
  settle(): Promise<void>;
  /** Lets go of the board itself (the serial port of a Firmata board); lines are unexported first by the driver. */
  close(): Promise<void>;
}

/** GPIO of this machine: onoff (loaded now, not at import) or an injected binding. */
export async function openGpioBoard(gpio?: GpioFactory): Promise<LineBoard> {
  const line = gpio ?? (await loadOnoff());
  return { line, settle: async () => {}, close: async () => {} };
}
