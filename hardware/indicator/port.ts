import { DeviceError } from '../errors.ts';
import type { DevicePort, TypedEmitter } from '../port.ts';

/** yellow asks for attention: a group passing, emergency, staff needed. */
export type Light = 'off' | 'green' | 'red' | 'yellow';
export const LIGHTS = ['off', 'green', 'red', 'yellow'] as const satisfies readonly Light[];

/** ok: one short beep; error: three short; alarm: continuous until silence(). */
export type BeepPattern = 'ok' | 'error' | 'alarm';
export const BEEP_PATTERNS = ['ok', 'error', 'alarm'] as const satisfies readonly BeepPattern[];

/**
 * On/off durations in ms, starting with on, for the patterns that end by themselves. Shared so
 * a GPIO buzzer and the simulator agree on how long a beep keeps `state.beeping` set.
 */
export const BEEP_TIMINGS: Readonly<Record<Exclude<BeepPattern, 'alarm'>, readonly number[]>> = {
  ok: [120],
  error: [120, 80, 120, 80, 120],
};

export interface ShowLightOptions {
  blink?: boolean;
  /** Return to the idle light after this long; without it the light stays until the next show() or setIdle(). */
  forMs?: number;
}

export interface IndicatorState {
  light: Light;
  blinking: boolean;
  beeping: BeepPattern | null;
}

export interface IndicatorEvents {
  /** A failure in work the indicator does on its own (a timed return to idle), where no caller waits. */
  error: Error;
}

/**
 * The lights and buzzer of a lane. Commands resolve once the hardware has taken them, not when a
 * light or beep ends, so feedback never holds up the turnstile. Commands reject with a
 * DeviceError when not started (`not_started`) or given a bad argument (`invalid_argument`).
 */
export interface IndicatorPort extends DevicePort, TypedEmitter<IndicatorEvents> {
  show(light: Light, opts?: ShowLightOptions): Promise<void>;
  /** A new pattern replaces the one sounding, an alarm included. */
  beep(pattern: BeepPattern): Promise<void>;
  silence(): Promise<void>;
  /**
   * The light shown when nothing else is (normal: 'off' or a red X; emergency: green). Takes
   * effect at once unless a show() with `forMs` is running, then when it ends. May be called
   * before start(), which shows it.
   */
  setIdle(light: Light): void;
  readonly state: IndicatorState;
}

/** Argument checks shared by every driver, so the simulator refuses what the hardware refuses. */
export function checkLight(light: Light): void {
  if (!LIGHTS.includes(light)) throw new DeviceError('invalid_argument', `light must be one of ${LIGHTS.join(', ')}`, { light });
}

export function checkShowArgs(light: Light, opts: ShowLightOptions): void {
  checkLight(light);
  const { forMs } = opts;
  if (forMs !== undefined && (!Number.isFinite(forMs) || forMs <= 0)) {
    throw new DeviceError('invalid_argument', 'forMs must be a positive number', { forMs });
  }
}

export function checkPattern(pattern: BeepPattern): void {
  if (!BEEP_PATTERNS.includes(pattern)) {
    throw new DeviceError('invalid_argument', `pattern must be one of ${BEEP_PATTERNS.join(', ')}`, { pattern });
  }
}
