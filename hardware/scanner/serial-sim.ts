import { SerialDeviceEnd, type DeviceEndOptions } from '../serial/device-end.ts';
import { SUFFIX_BYTES, type Suffix } from './lines.ts';
import type { ScannerCommands } from './serial.ts';

export type SimCommand = keyof ScannerCommands;

export interface SerialScannerSimEvents {
  /** A host command was recognised. */
  command: { name: SimCommand };
  error: Error;
}

export interface SerialScannerSimOptions extends DeviceEndOptions {
  suffix: Suffix;
  commands: ScannerCommands;
  /**
   * 'presentation': a code held up is sent at once (the usual mode at a gate).
   * 'trigger': the scanner reads only after the host's trigger command, sends one code and
   * stops (Honeywell serial trigger mode).
   */
  mode: 'presentation' | 'trigger';
}

/**
 * The device side of a serial scanner: what a real one puts on the wire. Codes go out as text
 * plus the configured suffix; trigger/untrigger/beep commands from the host are answered;
 * tests can inject raw noise or split a code across writes.
 */
export class SerialScannerSim extends SerialDeviceEnd<SerialScannerSimEvents> {
  readonly #options: SerialScannerSimOptions;
  #rx = Buffer.alloc(0);
  #inView: string | undefined;
  triggered = false;
  beeps = 0;

  constructor(options: SerialScannerSimOptions) {
    super(options);
    this.#options = options;
  }

  /** Holds a code in front of the scanner. Resolves once sent, or at once when waiting for a trigger. */
  async scan(text: string): Promise<void> {
    if (this.#options.mode === 'presentation' || this.triggered) {
      await this.#send(text);
    } else {
      this.#inView = text;
    }
  }

  /** Writes raw bytes: noise, a code without suffix, half a line. */
  raw(bytes: Buffer | string): Promise<void> {
    return this.line.write(Buffer.from(bytes));
  }

  async #send(text: string): Promise<void> {
    this.triggered = false;
    this.#inView = undefined;
    await this.line.write(Buffer.concat([Buffer.from(text, 'utf8'), SUFFIX_BYTES[this.#options.suffix]]));
  }

  protected onData(chunk: Buffer): void {
    this.#rx = Buffer.concat([this.#rx, chunk]);
    const commands = Object.entries(this.#options.commands).filter(([, b]) => b.length > 0) as [SimCommand, Buffer][];
    while (this.#rx.length > 0) {
      const hit = commands.find(([, bytes]) => this.#rx.subarray(0, bytes.length).equals(bytes));
      if (hit) {
        this.#rx = this.#rx.subarray(hit[1].length);
        this.#run(hit[0]);
        continue;
      }
      // Half a command: wait for the rest. Anything else is not for us: skip a byte.
      if (commands.some(([, bytes]) => bytes.length > this.#rx.length && bytes.subarray(0, this.#rx.length).equals(this.#rx))) break;
      this.#rx = this.#rx.subarray(1);
    }
  }

  #run(name: SimCommand): void {
    if (name === 'beep') this.beeps++;
    if (name === 'untrigger') this.triggered = false;
    if (name === 'trigger') {
      this.triggered = true;
      if (this.#inView !== undefined) void this.#send(this.#inView).catch(() => undefined);
    }
    this.emit('command', { name });
  }
}
