import { createHash } from 'node:crypto';
import { SerialDeviceEnd, type DeviceEndOptions } from '../serial/device-end.ts';
import { dataPackets, DEFAULT_ADDRESS, encodePacket, PacketParser, PID } from './packet.ts';
import { CC, INS, TEMPLATE_BYTES } from './protocol.ts';

/** A finger a test puts on the sensor: who it is, and how well it is pressed. */
export interface SimFinger {
  id: string;
  quality?: 'good' | 'poor';
}

export type FingerprintFault =
  /** No answer to the next command. */
  | 'silent'
  /** The next answer's last packet (the ack, or the end of an upload) has a wrong checksum. */
  | 'corrupt'
  /** The next answer comes in pieces of 5 bytes, written 1 ms apart. */
  | 'split'
  /** Stray bytes before the next answer. */
  | 'noise'
  /** The next command arrives garbled: answered 01 and not carried out. */
  | 'garbled';

export interface FingerprintSimOptions extends DeviceEndOptions {
  address?: number;
  password?: number;
  packetSize?: number;
  capacity?: number;
}

/**
 * Character files the simulator makes: 256 bytes of features drawn from the finger's id and
 * 256 bytes that change with every press (as a real press never repeats). A match scores the
 * feature bytes two files share; 100 or more is a match (a real module's default threshold
 * is of that order on its own scale). The driver treats templates as opaque bytes.
 */
const FEATURE_BYTES = 256;
export const MATCH_THRESHOLD = 100;

export function simTemplate(fingerId: string, press = 0): Buffer {
  const features = expand(`finger:${fingerId}`, FEATURE_BYTES);
  return Buffer.concat([features, expand(`press:${fingerId}:${press}`, TEMPLATE_BYTES - FEATURE_BYTES)]);
}

function expand(seed: string, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++) parts.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(parts).subarray(0, n);
}

function score(a: Buffer, b: Buffer): number {
  let same = 0;
  for (let i = 0; i < FEATURE_BYTES; i++) if (a[i] === b[i]) same++;
  return same;
}

export interface FingerprintSimEvents {
  command: { ins: number };
  error: Error;
}

/**
 * The module's side of the protocol on the other end of a serial line: a sensor a test puts
 * fingers on, two CharBuffers, a library of pages, and the commands GenImg, Img2Tz, Match,
 * Search, RegModel, Store, LoadChar, UpChar, DownChar, Empty, TemplateNum and VfyPwd.
 * A command packet with a bad checksum gets confirmation code 01, as a real module answers.
 */
export class FingerprintSim extends SerialDeviceEnd<FingerprintSimEvents> {
  readonly #parser = new PacketParser();
  readonly #address: number;
  readonly #password: number;
  readonly #packetSize: number;
  readonly #capacity: number;
  #finger: SimFinger | undefined;
  #presses = 0;
  #image: SimFinger | undefined;
  readonly #char: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];
  readonly library = new Map<number, Buffer>();
  /** A DownChar in progress: the buffer it fills and the packets so far. */
  #download: { buffer: number; chunks: Buffer[] } | undefined;
  #unlocked: boolean;
  readonly faults: FingerprintFault[] = [];
  /** Instruction codes received. */
  readonly received: number[] = [];

  constructor(options: FingerprintSimOptions) {
    super(options);
    this.#address = options.address ?? DEFAULT_ADDRESS;
    this.#password = options.password ?? 0;
    this.#unlocked = this.#password === 0;
    this.#packetSize = options.packetSize ?? 128;
    this.#capacity = options.capacity ?? 1000;
  }

  place(finger: SimFinger): void {
    this.#finger = finger;
  }

  lift(): void {
    this.#finger = undefined;
  }

  protected onData(chunk: Buffer): void {
    for (const out of this.#parser.push(chunk)) {
      if ('error' in out) {
        if (out.error.code === 'bad_checksum') void this.#ack(CC.packetError);
        continue;
      }
      const pk = out.packet;
      if (pk.address !== this.#address) continue;
      if (this.#download && (pk.pid === PID.data || pk.pid === PID.end)) {
        this.#download.chunks.push(pk.payload);
        if (pk.pid === PID.end) {
          const data = Buffer.concat(this.#download.chunks);
          if (data.length === TEMPLATE_BYTES) this.#char[this.#download.buffer - 1] = data;
          this.#download = undefined;
        }
        continue;
      }
      if (pk.pid !== PID.command || pk.payload.length < 1) continue;
      const ins = pk.payload[0]!;
      this.received.push(ins);
      this.emit('command', { ins });
      if (this.faults[0] === 'garbled') {
        this.faults.shift();
        void this.#ack(CC.packetError);
        continue;
      }
      void this.#respond(ins, pk.payload.subarray(1));
    }
  }

  async #respond(ins: number, p: Buffer): Promise<void> {
    if (ins === INS.vfyPwd) {
      this.#unlocked = p.length === 4 && p.readUInt32BE(0) === this.#password;
      return this.#ack(this.#unlocked ? CC.ok : CC.wrongPassword);
    }
    if (!this.#unlocked) return this.#ack(CC.wrongPassword);
    const buf = (b: number | undefined) => (b === 1 || b === 2 ? b - 1 : -1);
    switch (ins) {
      case INS.genImg: {
        if (!this.#finger) return this.#ack(CC.noFinger);
        this.#image = { ...this.#finger };
        this.#presses++;
        return this.#ack(CC.ok);
      }
      case INS.img2Tz: {
        const b = buf(p[0]);
        if (b < 0) return this.#ack(CC.packetError);
        if (!this.#image) return this.#ack(CC.noValidImage);
        if (this.#image.quality === 'poor') return this.#ack(CC.disorderly);
        this.#char[b] = simTemplate(this.#image.id, this.#presses);
        return this.#ack(CC.ok);
      }
      case INS.match: {
        const [a, b] = this.#char;
        const s = a && b ? score(a, b) : 0;
        return this.#ack(s >= MATCH_THRESHOLD ? CC.ok : CC.noMatch, u16(s));
      }
      case INS.search: {
        const a = this.#char[buf(p[0])];
        if (!a || p.length < 5) return this.#ack(CC.packetError);
        const start = p.readUInt16BE(1);
        const end = Math.min(this.#capacity, start + p.readUInt16BE(3));
        let best = { page: 0, score: 0 };
        for (const [page, t] of this.library) {
          if (page < start || page >= end) continue;
          const s = score(a, t);
          if (s > best.score) best = { page, score: s };
        }
        if (best.score < MATCH_THRESHOLD) return this.#ack(CC.notFound, Buffer.concat([u16(0), u16(0)]));
        return this.#ack(CC.ok, Buffer.concat([u16(best.page), u16(best.score)]));
      }
      case INS.regModel: {
        const [a, b] = this.#char;
        if (!a || !b || score(a, b) < MATCH_THRESHOLD) return this.#ack(CC.mergeFailed);
        this.#char[0] = this.#char[1] = Buffer.concat([a.subarray(0, FEATURE_BYTES), expand(`model:${a.toString('hex', 0, 8)}`, TEMPLATE_BYTES - FEATURE_BYTES)]);
        return this.#ack(CC.ok);
      }
      case INS.store: {
        const t = this.#char[buf(p[0])];
        const page = p.length >= 3 ? p.readUInt16BE(1) : -1;
        if (page < 0 || page >= this.#capacity) return this.#ack(CC.pageOutOfRange);
        if (!t) return this.#ack(CC.packetError);
        this.library.set(page, t);
        return this.#ack(CC.ok);
      }
      case INS.loadChar: {
        const b = buf(p[0]);
        const t = p.length >= 3 ? this.library.get(p.readUInt16BE(1)) : undefined;
        if (b < 0 || !t) return this.#ack(CC.loadFailed);
        this.#char[b] = t;
        return this.#ack(CC.ok);
      }
      case INS.upChar: {
        const t = this.#char[buf(p[0])];
        if (!t) return this.#ack(CC.uploadFailed);
        return this.#send([this.#packet(PID.ack, Buffer.from([CC.ok])), ...dataPackets(this.#address, t, this.#packetSize)]);
      }
      case INS.downChar: {
        const b = buf(p[0]);
        if (b < 0) return this.#ack(CC.downloadFailed);
        this.#download = { buffer: b + 1, chunks: [] };
        return this.#ack(CC.ok);
      }
      case INS.empty:
        this.library.clear();
        return this.#ack(CC.ok);
      case INS.templateNum:
        return this.#ack(CC.ok, u16(this.library.size));
      default:
        return this.#ack(CC.packetError);
    }
  }

  #packet(pid: number, payload: Buffer): Buffer {
    return encodePacket({ address: this.#address, pid: pid as 7, payload });
  }

  #ack(code: number, data: Buffer = Buffer.alloc(0)): Promise<void> {
    return this.#send([this.#packet(PID.ack, Buffer.concat([Buffer.from([code]), data]))]);
  }

  async #send(packets: Buffer[]): Promise<void> {
    const fault = this.faults.shift();
    if (fault === 'silent') return;
    try {
      if (fault === 'noise') await this.line.write(Buffer.from([0x55, 0xaa, 0x00]));
      if (fault === 'corrupt') {
        const last = Buffer.from(packets[packets.length - 1]!);
        last[last.length - 1] = last[last.length - 1]! ^ 0x5a;
        packets = [...packets.slice(0, -1), last];
      }
      const bytes = Buffer.concat(packets);
      if (fault === 'split') {
        for (let i = 0; i < bytes.length; i += 5) {
          await this.line.write(bytes.subarray(i, i + 5));
          await new Promise((r) => setTimeout(r, 1));
        }
      } else {
        await this.line.write(bytes);
      }
    } catch {
      // the line went away; the host times out
    }
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
