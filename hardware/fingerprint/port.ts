import type { DevicePort, TypedEmitter } from '../port.ts';

/** Why a finger was not read or not matched; the gate maps these to reason codes and prompts. */
export type FingerFailure = 'no_finger' | 'poor_image' | 'no_match' | 'merge_failed';

export type Outcome<T extends object = object> = ({ ok: true } & T) | { ok: false; reason: FingerFailure };

export interface FingerprintEvents {
  /**
   * Watch mode: a finger was put on the sensor (once per press). When ok, its character file
   * waits in the module for `matchPress` / `searchPress`; the next press replaces it.
   */
  press: Outcome;
  error: Error;
}

/**
 * A fingerprint module (R30x / AS60x). It makes and matches templates (character files: an
 * image never leaves it) and holds a library of templates in numbered pages for 1:N search.
 */
export interface FingerprintReader extends DevicePort, TypedEmitter<FingerprintEvents> {
  /** The library size in pages. */
  readonly capacity: number;
  /**
   * Two presses of the same finger merged into one template and uploaded. `onAgain` is called
   * once the first press is read, so a window can say "press again".
   */
  enrol(onAgain?: () => void): Promise<Outcome<{ template: Buffer }>>;
  /** 1:1, waiting for a press: the finger compared with a template the caller holds. */
  verify(template: Buffer): Promise<Outcome<{ score: number }>>;
  /** 1:N, waiting for a press: the finger searched in library pages [start, start + count). */
  identify(start?: number, count?: number): Promise<Outcome<{ page: number; score: number }>>;
  /** 1:1 against the last `press`. */
  matchPress(template: Buffer): Promise<Outcome<{ score: number }>>;
  /** 1:N against the last `press`. */
  searchPress(start?: number, count?: number): Promise<Outcome<{ page: number; score: number }>>;
  storeTemplate(page: number, template: Buffer): Promise<void>;
  loadTemplate(page: number): Promise<Buffer>;
  templateCount(): Promise<number>;
  clear(): Promise<void>;
}
