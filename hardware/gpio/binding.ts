import { DeviceError } from '../errors.ts';

export type GpioLevel = 0 | 1;
export type GpioEdge = 'none' | 'rising' | 'falling' | 'both';
/** 'high' and 'low' make the line an output that starts at that level, without a glitch. */
export type GpioDirection = 'in' | 'out' | 'high' | 'low';
export type GpioCallback = (err: Error | null | undefined, value: GpioLevel) => void;

/** The part of onoff's `Gpio` the drivers use; tests pass a fake of the same shape. */
export interface GpioLike {
  readSync(): GpioLevel;
  writeSync(value: GpioLevel): void;
  watch(callback: GpioCallback): void;
  unwatch(callback?: GpioCallback): void;
  unexport(): void;
}

export interface GpioLineOptions {
  debounceTimeout?: number;
  activeLow?: boolean;
}

/** Exports one line, like `new Gpio(pin, direction, edge, options)` in onoff. */
export type GpioFactory = (pin: number, direction: GpioDirection, edge?: GpioEdge, options?: GpioLineOptions) => GpioLike;

/**
 * Loads onoff on first use only: it pulls in the native `epoll` addon, which must not load on
 * machines without GPIO (HQ, a developer laptop, CI).
 */
export async function loadOnoff(): Promise<GpioFactory> {
  let Gpio: typeof import('onoff').Gpio;
  try {
    ({ Gpio } = await import('onoff'));
  } catch (cause) {
    throw new DeviceError('gpio_unavailable', 'cannot load onoff (GPIO driver); use the "sim" driver on this machine', {}, { cause });
  }
  if (!Gpio.accessible) {
    throw new DeviceError(
      'gpio_unavailable',
      'GPIO is not accessible (/sys/class/gpio/export missing or not writable); use the "sim" driver on this machine',
    );
  }
  return (pin, direction, edge, options) => new Gpio(pin, direction, edge, options);
}
