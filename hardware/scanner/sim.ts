import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import type { Scanner, ScannerEvents } from './port.ts';

export interface SimScannerOptions {
  /** Reported as `source` on every code (default "sim"). */
  source?: string;
}

/** A scanner driven by hand: tests and the gate console call present() with a code's text. */
export class SimScanner extends TypedEventEmitter<ScannerEvents> implements Scanner {
  readonly source: string;
  #started = false;

  constructor(options: SimScannerOptions = {}) {
    super();
    this.source = options.source ?? 'sim';
  }

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
  }

  /** Holds a code in front of the scanner. Throws when stopped, as a closed port reads nothing. */
  present(text: string): void {
    if (!this.#started) throw new DeviceError('not_started', 'scanner is not started');
    this.emit('code', { text, source: this.source });
  }
}
