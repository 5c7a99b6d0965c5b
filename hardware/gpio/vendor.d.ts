// The parts of johnny-five and mock-firmata the Firmata line board uses; neither ships types.

declare module 'johnny-five' {
  import { EventEmitter } from 'node:events';

  /** A Firmata client (firmata.js `Board`) or any johnny-five IO plugin. */
  export interface FirmataIo extends EventEmitter {
    readonly isReady: boolean;
    readonly MODES: Readonly<Record<string, number>>;
    readonly pins: readonly { supportedModes: readonly number[]; mode?: number }[];
    readonly transport?: { close(callback?: (error?: Error | null) => void): void; isOpen?: boolean };
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: 0 | 1): void;
    digitalRead(pin: number, callback: (value: 0 | 1) => void): void;
    reportDigitalPin(pin: number, value: 0 | 1): void;
  }

  export interface BoardOptions {
    io?: FirmataIo;
    port?: string;
    repl?: boolean;
    debug?: boolean;
    sigint?: boolean;
    timeout?: number;
  }

  export class Board extends EventEmitter {
    constructor(options?: BoardOptions);
    readonly io: FirmataIo;
    readonly isReady: boolean;
    pinMode(pin: number, mode: number): this;
    digitalWrite(pin: number, value: 0 | 1): this;
    digitalRead(pin: number, callback: (value: 0 | 1) => void): this;
  }

  const five: { Board: typeof Board };
  export default five;
}

declare module 'mock-firmata' {
  import { EventEmitter } from 'node:events';
  import type { FirmataIo } from 'johnny-five';

  export interface MockPin {
    supportedModes: number[];
    mode: number;
    value: number;
    report: number;
    analogChannel: number;
  }

  export class Firmata extends EventEmitter implements FirmataIo {
    constructor(options?: { pins?: MockPin[] });
    readonly isReady: boolean;
    readonly MODES: Readonly<Record<string, number>>;
    readonly pins: MockPin[];
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: 0 | 1): void;
    digitalRead(pin: number, callback: (value: 0 | 1) => void): void;
    reportDigitalPin(pin: number, value: 0 | 1): void;
  }

  export const Pins: { UNO: MockPin[]; UNOANALOG: number[] };
  const mock: { Firmata: typeof Firmata; Pins: typeof Pins };
  export default mock;
}
