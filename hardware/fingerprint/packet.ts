import { DeviceError } from '../errors.ts';

/**
 * Packets of the R30x / AS60x (ZFM) serial fingerprint modules, as in the R307 user manual:
 *
 *   EF 01 | ADDR(4, big endian) | PID(1) | LEN(2, big endian) | PAYLOAD(LEN - 2) | SUM(2)
 *
 * LEN counts the payload and the checksum; SUM is the low 16 bits of the sum of PID, the two
 * LEN bytes and every payload byte. PID is 01 command, 02 data (more follows), 07 ack,
 * 08 end of data. Both directions share the layout, so one parser serves the driver (acks,
 * template uploads) and the simulator (commands, template downloads).
 */
export const HEADER = Buffer.from([0xef, 0x01]);
export const DEFAULT_ADDRESS = 0xffffffff;

export const PID = { command: 0x01, data: 0x02, ack: 0x07, end: 0x08 } as const;
export type PacketId = (typeof PID)[keyof typeof PID];

/** The largest data packet the modules allow is 256 bytes of payload; more is garbage. */
export const MAX_PAYLOAD = 256;

export interface Packet {
  address: number;
  pid: PacketId;
  payload: Buffer;
}

export function encodePacket(p: Packet): Buffer {
  const len = p.payload.length + 2;
  const out = Buffer.alloc(9 + len);
  HEADER.copy(out, 0);
  out.writeUInt32BE(p.address >>> 0, 2);
  out[6] = p.pid;
  out.writeUInt16BE(len, 7);
  p.payload.copy(out, 9);
  out.writeUInt16BE(checksum(out, 6, 9 + p.payload.length), 9 + p.payload.length);
  return out;
}

function checksum(buf: Buffer, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += buf[i]!;
  return sum & 0xffff;
}

export type PacketOutput = { packet: Packet } | { error: DeviceError };

const PIDS = new Set<number>(Object.values(PID));

/**
 * Finds packets in a byte stream: bytes in, packets and errors out. Stray bytes before a
 * header are reported once per run; a bad length, packet id or checksum is reported and the
 * search resumes one byte after the failed header, so a good packet inside is still found.
 */
export class PacketParser {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): PacketOutput[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: PacketOutput[] = [];
    for (;;) {
      if (!this.#seek(out)) break;
      const buf = this.#buf;
      if (buf.length < 9) break;
      const pid = buf[6]!;
      const len = buf.readUInt16BE(7);
      if (!PIDS.has(pid)) {
        this.#skip(out, new DeviceError('bad_frame', `unknown packet id ${pid.toString(16)}`, { pid }));
        continue;
      }
      if (len < 2 || len > MAX_PAYLOAD + 2) {
        this.#skip(out, new DeviceError('bad_frame', `impossible packet length ${len}`, { len }));
        continue;
      }
      if (buf.length < 9 + len) break;
      const end = 9 + len - 2;
      if (checksum(buf, 6, end) !== buf.readUInt16BE(end)) {
        this.#skip(out, new DeviceError('bad_checksum', 'packet checksum wrong', { pid, len }));
        continue;
      }
      out.push({ packet: { address: buf.readUInt32BE(2), pid: pid as PacketId, payload: Buffer.from(buf.subarray(9, end)) } });
      this.#buf = buf.subarray(9 + len);
    }
    return out;
  }

  /** Drops a held partial packet (after a response timeout). */
  reset(): void {
    this.#buf = Buffer.alloc(0);
  }

  get pending(): number {
    return this.#buf.length;
  }

  #seek(out: PacketOutput[]): boolean {
    const buf = this.#buf;
    const at = buf.indexOf(HEADER);
    // Without a header, keep a trailing EF that may begin one.
    const drop = at >= 0 ? at : buf.length - (buf[buf.length - 1] === HEADER[0] ? 1 : 0);
    if (drop > 0) {
      out.push({ error: new DeviceError('bad_frame', `${drop} stray byte(s) skipped`, { hex: buf.subarray(0, Math.min(drop, 16)).toString('hex') }) });
      this.#buf = buf.subarray(drop);
    }
    return at >= 0;
  }

  #skip(out: PacketOutput[], error: DeviceError): void {
    out.push({ error });
    this.#buf = this.#buf.subarray(1);
  }
}

/** Cuts a template (character file) into data packets of `size` bytes, the last one PID 08. */
export function dataPackets(address: number, data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length || i === 0; i += size) {
    const last = i + size >= data.length;
    out.push(encodePacket({ address, pid: last ? PID.end : PID.data, payload: data.subarray(i, i + size) }));
    if (last) break;
  }
  return out;
}
