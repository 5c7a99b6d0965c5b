import { DeviceError } from '../errors.ts';
import type { GpioLike } from '../gpio/binding.ts';
import type { LineBoard } from '../gpio/lines.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { BEEP_TIMINGS, checkLight, checkPattern, checkShowArgs } from './port.ts';
import type { BeepPattern, IndicatorEvents, IndicatorPort, IndicatorState, Light, ShowLightOptions } from './port.ts';

export interface IndicatorPins {
  red: number;
  green: number;
  /** Without it, yellow lights red and green together (amber on a two-colour lamp). */
  yellow?: number;
  /** An active buzzer (it sounds while its line is active); without it beep() fails with `not_wired`. */
  buzzer?: number;
}

export interface LineIndicatorOptions {
  pins: IndicatorPins;
  /** Light shown when nothing else is, until setIdle() (default 'off'). */
  idle?: Light;
  /** Every line is active at 0 (relay boards). Default false. */
  activeLow?: boolean;
  /** Half period of a blinking light, default 400 ms. */
  blinkMs?: number;
  timers?: Timers;
}

type Lamp = 'red' | 'green' | 'yellow';

interface Lines {
  board: LineBoard;
  lamps: Partial<Record<Lamp, GpioLike>>;
  buzzer: GpioLike | undefined;
  all: GpioLike[];
}

/**
 * Lane lights and buzzer on output lines, from GPIO or a Firmata board. Blinking, timed lights
 * and beep patterns are timed here, on the injected timers, with the same durations as the
 * simulator (BEEP_TIMINGS), so `state` reads the same on both.
 */
export abstract class LineIndicator extends TypedEventEmitter<IndicatorEvents> implements IndicatorPort {
  readonly #pins: IndicatorPins;
  readonly #activeLow: boolean;
  readonly #blinkMs: number;
  readonly #timers: Timers;
  #idle: Light;
  #lines: Lines | undefined;
  #light: Light = 'off';
  #blinking = false;
  /** Whether a blinking light is in its lit half. */
  #lit = false;
  #beeping: BeepPattern | null = null;
  #revertTimer: TimerHandle | undefined;
  #blinkTimer: TimerHandle | undefined;
  #beepTimer: TimerHandle | undefined;

  constructor(options: LineIndicatorOptions) {
    super();
    this.#pins = options.pins;
    this.#idle = options.idle ?? 'off';
    this.#activeLow = options.activeLow ?? false;
    this.#blinkMs = options.blinkMs ?? 400;
    this.#timers = options.timers ?? realTimers;
  }

  /** Opens the board the lines are on; `onError` takes failures of the board itself while it runs. */
  protected abstract openBoard(onError: (error: Error) => void): Promise<LineBoard>;

  get state(): IndicatorState {
    return { light: this.#light, blinking: this.#blinking, beeping: this.#beeping };
  }

  async start(): Promise<void> {
    if (this.#lines) return;
    const board = await this.openBoard((error) => this.emit('error', error));
    const all: GpioLike[] = [];
    const output = (pin: number): GpioLike => {
      const line = board.line(pin, this.#activeLow ? 'high' : 'low');
      all.push(line);
      return line;
    };
    try {
      const { red, green, yellow, buzzer } = this.#pins;
      this.#lines = {
        board,
        lamps: { red: output(red), green: output(green), ...(yellow === undefined ? {} : { yellow: output(yellow) }) },
        buzzer: buzzer === undefined ? undefined : output(buzzer),
        all,
      };
      await board.settle();
      this.#showIdle();
    } catch (error) {
      this.#lines = undefined;
      for (const line of all) line.unexport();
      await board.close();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const lines = this.#lines;
    if (!lines) return;
    this.#cancelRevert();
    this.#cancelBlink();
    this.#cancelBeep();
    this.#light = 'off';
    this.#blinking = false;
    this.#lines = undefined;
    try {
      // A stopped lane is dark and quiet: sysfs and Firmata keep the last level written.
      for (const line of lines.all) line.writeSync(this.#level(false));
    } finally {
      for (const line of lines.all) line.unexport();
      await lines.board.close();
    }
  }

  async show(light: Light, opts: ShowLightOptions = {}): Promise<void> {
    checkShowArgs(light, opts);
    this.#assertStarted();
    this.#cancelRevert();
    this.#set(light, opts.blink ?? false);
    const { forMs } = opts;
    if (forMs === undefined) return;
    this.#revertTimer = this.#timers.setTimeout(() => {
      this.#revertTimer = undefined;
      this.#reporting(() => this.#showIdle());
    }, forMs);
  }

  async beep(pattern: BeepPattern): Promise<void> {
    checkPattern(pattern);
    const lines = this.#assertStarted();
    const buzzer = lines.buzzer;
    if (!buzzer) throw new DeviceError('not_wired', 'no buzzer wired', { pattern });
    this.#cancelBeep();
    this.#beeping = pattern;
    if (pattern === 'alarm') {
      buzzer.writeSync(this.#level(true));
      return;
    }
    // On and off durations, starting with on; after the last one the buzzer goes quiet.
    const steps = BEEP_TIMINGS[pattern];
    const step = (index: number): void => {
      if (index >= steps.length) {
        this.#beepTimer = undefined;
        this.#beeping = null;
        buzzer.writeSync(this.#level(false));
        return;
      }
      buzzer.writeSync(this.#level(index % 2 === 0));
      this.#beepTimer = this.#timers.setTimeout(() => this.#reporting(() => step(index + 1), () => (this.#beeping = null)), steps[index]!);
    };
    try {
      step(0);
    } catch (error) {
      this.#beeping = null;
      throw error;
    }
  }

  async silence(): Promise<void> {
    this.#assertStarted();
    this.#cancelBeep();
  }

  setIdle(light: Light): void {
    checkLight(light);
    this.#idle = light;
    if (this.#lines && this.#revertTimer === undefined) this.#reporting(() => this.#showIdle());
  }

  #showIdle(): void {
    this.#set(this.#idle, false);
  }

  #set(light: Light, blink: boolean): void {
    this.#cancelBlink();
    this.#light = light;
    this.#blinking = blink;
    this.#lit = true;
    this.#drive(light);
    if (blink && light !== 'off') this.#scheduleBlink();
  }

  #scheduleBlink(): void {
    this.#blinkTimer = this.#timers.setTimeout(() => {
      this.#lit = !this.#lit;
      this.#reporting(() => this.#drive(this.#lit ? this.#light : 'off'));
      this.#scheduleBlink();
    }, this.#blinkMs);
  }

  /** Sets every lamp line for `light`. */
  #drive(light: Light): void {
    const lamps = this.#lines?.lamps;
    if (!lamps) return;
    const on = new Set<Lamp>();
    if (light === 'red' || light === 'green') on.add(light);
    if (light === 'yellow') {
      if (lamps.yellow) on.add('yellow');
      else (on.add('red'), on.add('green'));
    }
    for (const [lamp, line] of Object.entries(lamps) as [Lamp, GpioLike][]) line.writeSync(this.#level(on.has(lamp)));
  }

  #cancelRevert(): void {
    this.#timers.clearTimeout(this.#revertTimer);
    this.#revertTimer = undefined;
  }

  #cancelBlink(): void {
    this.#timers.clearTimeout(this.#blinkTimer);
    this.#blinkTimer = undefined;
  }

  #cancelBeep(): void {
    this.#timers.clearTimeout(this.#beepTimer);
    this.#beepTimer = undefined;
    const wasBeeping = this.#beeping !== null;
    this.#beeping = null;
    if (wasBeeping) this.#lines?.buzzer?.writeSync(this.#level(false));
  }

  #assertStarted(): Lines {
    if (!this.#lines) throw new DeviceError('not_started', 'indicator is not started');
    return this.#lines;
  }

  /** For work done on a timer, where a throw would reach no caller: it becomes an `error` event. */
  #reporting(fn: () => void, onError?: () => void): void {
    try {
      fn();
    } catch (error) {
      onError?.();
      this.emit('error', error as Error);
    }
  }

  #level(active: boolean): 0 | 1 {
    return active !== this.#activeLow ? 1 : 0;
  }
}
