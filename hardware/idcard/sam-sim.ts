import { SerialDeviceEnd, type DeviceEndOptions } from '../serial/device-end.ts';
import { encodeBasicInfo, type IdCardInfo } from './basic-info.ts';
import { SAM_CMD, SW } from './sam.ts';
import { encodeSamFrame, SamFrameParser } from './sam-frame.ts';

/** A card as the simulator holds it: the basic info with the codes the card stores. */
export type SimIdCard = Omit<IdCardInfo, 'sex' | 'nation'> & { sexCode: string };

export type SamFault =
  /** No answer to the next command. */
  | 'silent'
  /** The next answer's checksum is wrong. */
  | 'corrupt'
  /** Stray bytes before the next answer. */
  | 'noise'
  /** The next answer comes in eight pieces (at least 4 bytes each), written 1 ms apart. */
  | 'split'
  /** Only the first half of the next answer is sent. */
  | 'truncated';

export type SamSimOptions = DeviceEndOptions;

export interface SamSimEvents {
  command: { cmd: string };
  error: Error;
}

/**
 * The device side of an ID card reader's SAM: answers find / select / read basic info for the
 * card a test puts on the antenna. As a real one does, a card once selected answers "not found"
 * to find until it is taken away and put back; a request with a bad checksum gets SW3 10.
 */
export class SamSim extends SerialDeviceEnd<SamSimEvents> {
  readonly #parser = new SamFrameParser();
  #card: SimIdCard | undefined;
  #selected = false;
  #found = false;
  readonly faults: SamFault[] = [];
  /** Commands received, as "20 01". */
  readonly received: string[] = [];

  constructor(options: SamSimOptions) {
    super(options);
  }

  place(card: SimIdCard): void {
    this.#card = card;
    this.#selected = false;
    this.#found = false;
  }

  remove(): void {
    this.#card = undefined;
    this.#selected = false;
    this.#found = false;
  }

  protected onData(chunk: Buffer): void {
    for (const out of this.#parser.push(chunk)) {
      if ('error' in out) {
        if (out.error.code === 'bad_checksum') void this.#answer([0, 0, SW.checksum]);
        continue;
      }
      if (out.body.length < 2) {
        void this.#answer([0, 0, SW.length]);
        continue;
      }
      const cmd = [out.body[0]!, out.body[1]!] as const;
      const name = cmd.map((b) => b.toString(16).padStart(2, '0')).join(' ');
      this.received.push(name);
      this.emit('command', { cmd: name });
      void this.#answer(...this.#respond(cmd));
    }
  }

  #respond(cmd: readonly [number, number]): [number[], Buffer?] {
    const is = (c: readonly number[]) => c[0] === cmd[0] && c[1] === cmd[1];
    const card = this.#card;
    if (is(SAM_CMD.find)) {
      if (!card || this.#selected) return [[0, 0, SW.notFound]];
      this.#found = true;
      return [[0, 0, SW.found], Buffer.alloc(4)];
    }
    if (is(SAM_CMD.select)) {
      if (!card || !this.#found) return [[0, 0, SW.selectFailed]];
      this.#selected = true;
      return [[0, 0, SW.ok], Buffer.alloc(8)];
    }
    if (is(SAM_CMD.readBasic)) {
      if (!card || !this.#selected) return [[0, 0, SW.readFailed]];
      try {
        return [[0, 0, SW.ok], encodeBasicInfo(card)];
      } catch {
        return [[0, 0, SW.readFailed]]; // a card a test made that no card could hold
      }
    }
    return [[0, 0, SW.badCommand]];
  }

  async #answer(sw: number[], data: Buffer = Buffer.alloc(0)): Promise<void> {
    const fault = this.faults.shift();
    if (fault === 'silent') return;
    const frame = encodeSamFrame(Buffer.concat([Buffer.from(sw), data]));
    try {
      if (fault === 'noise') await this.line.write(Buffer.from([0x55, 0xaa, 0x00, 0x96]));
      if (fault === 'corrupt') frame[frame.length - 1] = frame[frame.length - 1]! ^ 0x5a;
      if (fault === 'truncated') return await this.line.write(frame.subarray(0, frame.length >> 1));
      if (fault === 'split') {
        const size = Math.max(4, Math.ceil(frame.length / 8));
        for (let i = 0; i < frame.length; i += size) {
          await this.line.write(frame.subarray(i, i + size));
          await new Promise((r) => setTimeout(r, 1));
        }
      } else {
        await this.line.write(frame);
      }
    } catch {
      // the line went away; the host times out
    }
  }
}
