import mockFirmata from 'mock-firmata';
import type { GpioLevel } from './binding.ts';

/**
 * A Firmata board for tests, on mock-firmata's Arduino Uno pin map: pin writes are recorded,
 * inputs are driven with drive(), and reports follow StandardFirmata's rules (the current
 * level is reported as soon as reporting is switched on, then on every change while it is on).
 * It becomes ready when johnny-five waits for it, as a board does after its reset.
 */
export class ObservableFirmata extends mockFirmata.Firmata {
  readonly writes: [pin: number, value: GpioLevel][] = [];
  readonly levels = new Map<number, GpioLevel>();
  readonly reporting = new Set<number>();
  #readyScheduled = false;

  /** `ready: false` makes a board that never answers. */
  constructor(options: { ready?: boolean; silentInputs?: boolean } = {}) {
    super({ pins: structuredClone(mockFirmata.Pins.UNO) });
    this.silentInputs = options.silentInputs ?? false;
    this.on('newListener', (event: string) => {
      if (event !== 'ready' || this.#readyScheduled || options.ready === false) return;
      this.#readyScheduled = true;
      setImmediate(() => {
        this.emit('connect');
        this.emit('ready');
      });
    });
  }

  /** Inputs never report (a board running other firmware). */
  silentInputs: boolean;

  override pinMode(pin: number, mode: number): void {
    const record = this.pins[pin];
    if (record) record.mode = mode;
  }

  override digitalWrite(pin: number, value: GpioLevel): void {
    this.writes.push([pin, value]);
    this.levels.set(pin, value);
  }

  override digitalRead(pin: number, callback: (value: GpioLevel) => void): void {
    this.addListener(`digital-read-${pin}`, callback);
    this.reportDigitalPin(pin, 1);
  }

  override reportDigitalPin(pin: number, value: 0 | 1): void {
    if (!value) {
      this.reporting.delete(pin);
      return;
    }
    this.reporting.add(pin);
    if (!this.silentInputs) setImmediate(() => this.#report(pin));
  }

  /** The outside world drives an input pin. */
  drive(pin: number, value: GpioLevel): void {
    this.levels.set(pin, value);
    this.#report(pin);
  }

  #report(pin: number): void {
    if (this.reporting.has(pin) && !this.silentInputs) this.emit(`digital-read-${pin}`, this.levels.get(pin) ?? 0);
  }
}
