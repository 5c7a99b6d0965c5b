import type { DevicePort, TypedEmitter } from '../port.ts';

export interface LockerEvents {
  /** The lock of a locker was released (its solenoid pulsed). */
  unlocked: { locker: string; at: number };
  /** A door sensor saw the door open or shut (only lockers wired with one). */
  door: { locker: string; open: boolean; at: number };
  error: Error;
}

/**
 * A bank of electronic lockers: one lock line per locker (a solenoid or motor lock released
 * by a pulse), an optional door sensor each. Which band may open which locker is not the
 * bank's business: the agent decides, the bank only opens.
 */
export interface LockerBank extends DevicePort, TypedEmitter<LockerEvents> {
  /** The lockers this bank drives. */
  readonly lockers: readonly string[];
  /** Releases one lock. Rejects with DeviceError invalid_argument for a locker not on this bank. */
  unlock(locker: string): Promise<void>;
  /** The door's state, where a sensor is wired (undefined otherwise). */
  doorOpen(locker: string): boolean | undefined;
}
