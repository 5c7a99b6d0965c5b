import { SerialDeviceEnd, type DeviceEndOptions } from '../serial/device-end.ts';
import type { MifareClassicCard } from './mifare.ts';
import { CMD, MIFARE, STATUS } from './pn532.ts';
import { ACK, encodeFrame, ERROR_FRAME, Pn532FrameParser, TFI_HOST, TFI_PN532 } from './pn532-frame.ts';
import { CLASSIC_1K_BLOCKS } from './port.ts';

/** Faults a test can ask for, applied to the next command(s), in order. */
export type Pn532Fault =
  /** No ACK and no response: the host must time out. */
  | 'silent'
  /** The response's data checksum is wrong once; a NACK from the host gets the good one. */
  | 'corrupt-response'
  /** Stray bytes on the line before the ACK. */
  | 'noise';

export type Pn532SimOptions = DeviceEndOptions;

export interface Pn532SimEvents {
  /** A command frame was understood (its code). */
  command: { code: number };
  error: Error;
}

/**
 * The device side of a PN532 on HSU with one MIFARE Classic card that tests put on and take
 * off the antenna. It answers in the PN532's frames (ACK, then a D5 response), sleeps until
 * the HSU wake-up preamble, resends its last response on a NACK, and fails authentication
 * with status 0x14 on a wrong key, after which the card must be selected again.
 */
export class Pn532Sim extends SerialDeviceEnd<Pn532SimEvents> {
  readonly #parser = new Pn532FrameParser();
  #card: MifareClassicCard | undefined;
  #selected = false;
  #authSector: number | undefined;
  #last: Buffer | undefined;
  #awake = false;
  #tail = 0;
  readonly faults: Pn532Fault[] = [];
  /** Command codes received, in order. */
  readonly received: number[] = [];

  constructor(options: Pn532SimOptions) {
    super(options);
  }

  get awake(): boolean {
    return this.#awake;
  }

  /** Puts a card on the antenna (replacing any). */
  place(card: MifareClassicCard): void {
    this.#card = card;
    this.#selected = false;
    this.#authSector = undefined;
  }

  /** Takes the card away. */
  remove(): void {
    this.#card = undefined;
    this.#selected = false;
    this.#authSector = undefined;
  }

  /** As after a power cycle: asleep until the next wake-up preamble. */
  powerCycle(): void {
    this.#awake = false;
    this.remove();
  }

  protected onData(chunk: Buffer): void {
    // HSU wake-up: 55 55 on the line (possibly split between reads).
    for (const b of chunk) {
      this.#tail = b === 0x55 ? this.#tail + 1 : 0;
      if (this.#tail >= 2) this.#awake = true;
    }
    for (const out of this.#parser.push(chunk)) {
      if (!this.#awake) continue;
      if (out.type === 'nack') {
        if (this.#last) this.#write(this.#last);
      } else if (out.type === 'frame' && out.tfi === TFI_HOST && out.data.length > 0) {
        this.#command(out.data[0]!, out.data.subarray(1));
      } else if (out.type === 'frame' || out.type === 'syntax_error') {
        this.#write(ERROR_FRAME);
      }
      // ack (host abort) and framing errors: nothing to answer
    }
  }

  #command(code: number, params: Buffer): void {
    const fault = this.faults.shift();
    if (fault === 'silent') return;
    this.received.push(code);
    this.emit('command', { code });
    if (fault === 'noise') this.#write(Buffer.from([0x13, 0x37, 0xfe]));
    this.#write(ACK);
    const data = this.#respond(code, params);
    if (!data) {
      this.#write(ERROR_FRAME);
      return;
    }
    const frame = encodeFrame(TFI_PN532, Buffer.concat([Buffer.from([code + 1]), data]));
    this.#last = frame;
    if (fault === 'corrupt-response') {
      const bad = Buffer.from(frame);
      bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff;
      this.#write(bad);
    } else {
      this.#write(frame);
    }
  }

  /** Response data after the response code; undefined for a command this PN532 does not know. */
  #respond(code: number, p: Buffer): Buffer | undefined {
    switch (code) {
      case CMD.getFirmwareVersion: return Buffer.from([0x32, 0x01, 0x06, 0x07]);
      case CMD.samConfiguration: return Buffer.alloc(0);
      case CMD.rfConfiguration: return Buffer.alloc(0);
      case CMD.inRelease:
        this.#selected = false;
        this.#authSector = undefined;
        return Buffer.from([STATUS.ok]);
      case CMD.inListPassiveTarget: {
        const card = this.#card;
        if (!card || p[0] !== 1 || p[1] !== 0x00) return Buffer.from([0]);
        this.#selected = true;
        this.#authSector = undefined;
        return Buffer.concat([Buffer.from([1, 1]), card.atqa, Buffer.from([card.sak, card.uid.length]), card.uid]);
      }
      case CMD.inDataExchange:
        return this.#exchange(p);
      default:
        return undefined;
    }
  }

  #exchange(p: Buffer): Buffer {
    const card = this.#card;
    if (!card || !this.#selected || p[0] !== 1) return Buffer.from([STATUS.timeout]);
    const [op, block] = [p[1], p[2]];
    if (block === undefined || block >= CLASSIC_1K_BLOCKS) return Buffer.from([STATUS.mifareAuth]);
    const sector = block >> 2;
    if (op === MIFARE.authA) {
      const key = p.subarray(3, 9);
      const uid = p.subarray(9, 13);
      if (key.equals(card.keyA(sector)) && uid.equals(card.uid.subarray(card.uid.length - 4))) {
        this.#authSector = sector;
        return Buffer.from([STATUS.ok]);
      }
      // A failed authentication halts the card: it answers nothing until selected again.
      this.#selected = false;
      this.#authSector = undefined;
      return Buffer.from([STATUS.mifareAuth]);
    }
    if (this.#authSector !== sector) return Buffer.from([STATUS.mifareAuth]);
    if (op === MIFARE.read) return Buffer.concat([Buffer.from([STATUS.ok]), card.read(block)]);
    if (op === MIFARE.write && p.length === 3 + 16) {
      card.write(block, p.subarray(3));
      return Buffer.from([STATUS.ok]);
    }
    return Buffer.from([0x27]); // "command not acceptable in the current context"
  }

  #write(bytes: Buffer): void {
    this.line.write(bytes).catch(() => undefined);
  }
}
