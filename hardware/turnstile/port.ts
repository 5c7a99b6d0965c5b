import type { DevicePort, TypedEmitter } from '../port.ts';

export type Direction = 'in' | 'out';

export interface PassageEvent {
  /** null when the driver cannot tell: a single passage sensor with no open() waiting. */
  direction: Direction | null;
  /**
   * True when the passage was counted against an open() call. False for passages while the
   * leaves are held open for an emergency, and for forced ones (jumping, tailgating).
   */
  authorized: boolean;
}

export interface TurnstileEvents {
  passage: PassageEvent;
  /** The emergency (fire alarm) input changed; the driver only reports it, the gate agent decides. */
  emergency: { active: boolean };
  /**
   * The controller's alarm output changed (forced passage, tailgating, tamper, a jammed leaf);
   * reported only, like the emergency input.
   */
  alarm: { active: boolean };
  error: Error;
}

export interface TurnstileState {
  /** setEmergencyOpen(true) is in force. */
  emergencyOpen: boolean;
  /** An open() is waiting for its passages. */
  busy: boolean;
}

/** Used when open() is called without a timeout. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

export interface Turnstile extends DevicePort, TypedEmitter<TurnstileEvents> {
  /**
   * Releases the leaves for `persons` passages in `direction`. Resolves with how many passed:
   * `persons`, or fewer when nobody passed for `timeoutMs` (the timer restarts after each
   * passage, so a family walking through one by one is not cut off). Unused passages are
   * given back: the leaves close. Rejects with a DeviceError when not started (`not_started`),
   * while another open() is waiting (`busy`), or when `direction` has no output (`not_wired`).
   */
  open(direction: Direction, persons: number, timeoutMs?: number): Promise<{ passed: number }>;
  /** Holds the leaves open (emergency) or returns them to normal. */
  setEmergencyOpen(open: boolean): Promise<void>;
  readonly state: TurnstileState;
}
