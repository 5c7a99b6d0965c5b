import { DeviceError } from '../errors.ts';
import type { DevicePort, TypedEmitter } from '../port.ts';

/** How the text is meant: a colour backlight or screen shows it; a plain LCD ignores it. */
export type DisplayTone = 'ok' | 'error' | 'info';
export const DISPLAY_TONES = ['ok', 'error', 'info'] as const satisfies readonly DisplayTone[];

export interface ShowTextOptions {
  /** Return to the idle text after this long; without it the text stays until the next show() or setIdle(). */
  forMs?: number;
  /** Default 'info'. */
  tone?: DisplayTone;
}

export interface DisplayEvents {
  /** A failure in work the display does on its own (a timed return to idle), where no caller waits. */
  error: Error;
}

/**
 * The lane's text display: a few rows of an LCD, or a screen. Drivers fit the text to their
 * rows and columns with `fitLines()` (fit.ts), counting a Chinese character as two columns.
 * show() resolves once the text is on the display. Rejects with a DeviceError when not started
 * (`not_started`) or given a bad argument (`invalid_argument`).
 */
export interface DisplayPort extends DevicePort, TypedEmitter<DisplayEvents> {
  show(lines: string[], opts?: ShowTextOptions): Promise<void>;
  /**
   * The text shown when nothing else is (a welcome, "closed", an emergency notice). Takes effect
   * at once unless a show() with `forMs` is running, then when it ends. May be called before
   * start(), which shows it.
   */
  setIdle(lines: string[]): void;
  /** What the display shows now, one string per row after fitting; empty while stopped. */
  readonly lines: string[];
}

/** Argument checks shared by every driver, so the simulator refuses what the hardware refuses. */
export function checkLines(lines: string[]): void {
  if (!Array.isArray(lines) || !lines.every((line) => typeof line === 'string')) {
    throw new DeviceError('invalid_argument', 'lines must be an array of strings', { lines });
  }
}

export function checkShowArgs(lines: string[], opts: ShowTextOptions): void {
  checkLines(lines);
  const { forMs, tone } = opts;
  if (forMs !== undefined && (!Number.isFinite(forMs) || forMs <= 0)) {
    throw new DeviceError('invalid_argument', 'forMs must be a positive number', { forMs });
  }
  if (tone !== undefined && !DISPLAY_TONES.includes(tone)) {
    throw new DeviceError('invalid_argument', `tone must be one of ${DISPLAY_TONES.join(', ')}`, { tone });
  }
}
