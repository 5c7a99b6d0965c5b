import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { upBatch, type EntryRecord, type UpBatch } from './messages.ts';
import { entryNonce } from './nonce.ts';
import { ENTRY_KINDS } from '../rules/model.ts';

/**
 * Compact wire form of an upload batch: the WAN up-link is 512 kbit/s shared with the ticket
 * windows, so entries travel packed, then deflated. Layout (version 2), before deflate:
 *
 *   u8      version (2; 1 is read too)
 *   u8+utf8 device id (length-prefixed)
 *   16      epoch (UUID bytes)
 *   varint  firstSeq, lastSeq, entry count
 *   varint  string table size, then u8+utf8 strings (lanes and venues)
 *   varint  base time (device time of the first entry, ms)
 *   per entry:
 *     u8    flags: bit 0 ticket id present, bit 1 direction out, bits 2-4 kind index,
 *           bit 5 nonce derived (entryNonce(device, epoch, firstSeq + index): not sent)
 *     16    nonce (UUID bytes), unless derived
 *     16    ticket id, when present
 *     varint persons, lane index, venue index
 *     zigzag varint device time - previous device time, corrected time - device time
 *
 * A payload whose first byte is '{' is taken as the JSON form (tools, debugging).
 */
/** 2: nonces may be derived (flag bit 5). Version 1 (every nonce sent) is still read. */
const VERSION = 2;
/** Index = the kind's 3 bits; new kinds only ever go at the end. */
const KINDS = ENTRY_KINDS;
/** Inflating more than this is refused: a small hostile payload must not eat the heap. */
export const MAX_INFLATED = 1 << 20;

const uuidBytes = (u: string) => Buffer.from(u.replace(/-/g, ''), 'hex');
const bytesUuid = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export class Writer {
  private parts: Buffer[] = [];
  u8(n: number) { this.parts.push(Buffer.from([n])); }
  bytes(b: Buffer) { this.parts.push(b); }
  varint(n: number) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
    this.parts.push(Buffer.from(out));
  }
  zigzag(n: number) { this.varint(n >= 0 ? n * 2 : -n * 2 - 1); }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new RangeError('string too long');
    this.u8(b.length);
    this.bytes(b);
  }
  done(): Buffer { return Buffer.concat(this.parts); }
}

export class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  private need(n: number) { if (this.at + n > this.b.length) throw new RangeError('truncated batch'); }
  u8(): number { this.need(1); return this.b[this.at++]!; }
  bytes(n: number): Buffer { this.need(n); const out = this.b.subarray(this.at, this.at + n); this.at += n; return out; }
  varint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      n += (byte & 0x7f) * scale;
      if (byte < 0x80) return n;
      scale *= 0x80;
    }
    throw new RangeError('varint too long');
  }
  zigzag(): number { const z = this.varint(); return z % 2 === 0 ? z / 2 : -(z + 1) / 2; }
  str(): string { return this.bytes(this.u8()).toString('utf8'); }
  get done(): boolean { return this.at === this.b.length; }
}

export function packBatch(batch: UpBatch): Buffer {
  return deflateRawSync(encodeBatch(batch), { level: 9 });
}

/** The batch's layout before deflate (a hub's bundle deflates several together: bundle.ts). */
export function encodeBatch(batch: UpBatch): Buffer {
  const w = new Writer();
  w.u8(VERSION);
  w.str(batch.device);
  w.bytes(uuidBytes(batch.epoch));
  w.varint(batch.firstSeq);
  w.varint(batch.lastSeq);
  w.varint(batch.entries.length);
  const strings: string[] = [];
  const index = new Map<string, number>();
  const idx = (s: string) => {
    let i = index.get(s);
    if (i === undefined) { i = strings.length; strings.push(s); index.set(s, i); }
    return i;
  };
  for (const e of batch.entries) { idx(e.lane); idx(e.venue); }
  w.varint(strings.length);
  for (const s of strings) w.str(s);
  let prev = batch.entries[0]?.deviceTime ?? 0;
  w.varint(Math.max(0, prev));
  batch.entries.forEach((e, i) => {
    const derived = e.nonce === entryNonce(batch.device, batch.epoch, batch.firstSeq + i);
    w.u8((e.ticketId ? 1 : 0) | (e.direction === 'out' ? 2 : 0) | (KINDS.indexOf(e.kind) << 2) | (derived ? 32 : 0));
    if (!derived) w.bytes(uuidBytes(e.nonce));
    if (e.ticketId) w.bytes(uuidBytes(e.ticketId));
    w.varint(e.persons);
    w.varint(idx(e.lane));
    w.varint(idx(e.venue));
    w.zigzag(e.deviceTime - prev);
    w.zigzag(e.correctedTime - e.deviceTime);
    prev = e.deviceTime;
  });
  return w.done();
}

/** Decodes and validates a batch in either form; throws with a reason on anything else. */
export function unpackBatch(payload: Buffer): UpBatch {
  if (payload[0] === 0x7b) return upBatch.parse(JSON.parse(payload.toString('utf8')));
  return decodeBatch(inflateRawSync(payload, { maxOutputLength: MAX_INFLATED }));
}

/** A batch from its layout before deflate (encodeBatch); throws with a reason on anything else. */
export function decodeBatch(raw: Buffer): UpBatch {
  const r = new Reader(raw);
  const version = r.u8();
  if (version !== VERSION && version !== 1) throw new RangeError(`unknown batch version ${version}`);
  const maxFlags = version === 1 ? 0x1f : 0x3f;
  const device = r.str();
  const epoch = bytesUuid(r.bytes(16));
  const firstSeq = r.varint();
  const lastSeq = r.varint();
  const count = r.varint();
  if (count > 10_000) throw new RangeError('too many entries');
  const strings = Array.from({ length: r.varint() }, () => r.str());
  const str = (i: number) => {
    const s = strings[i];
    if (s === undefined) throw new RangeError('bad string index');
    return s;
  };
  let prev = r.varint();
  const entries: EntryRecord[] = [];
  for (let i = 0; i < count; i++) {
    const flags = r.u8();
    const kind = KINDS[(flags >> 2) & 7];
    if (!kind || flags > maxFlags) throw new RangeError('bad entry flags');
    const nonce = flags & 32 ? entryNonce(device, epoch, firstSeq + i) : bytesUuid(r.bytes(16));
    const ticketId = flags & 1 ? bytesUuid(r.bytes(16)) : null;
    const persons = r.varint();
    const lane = str(r.varint());
    const venue = str(r.varint());
    const deviceTime = prev + r.zigzag();
    const correctedTime = deviceTime + r.zigzag();
    prev = deviceTime;
    entries.push({ nonce, ticketId, persons, lane, venue, direction: flags & 2 ? 'out' : 'in', kind, deviceTime, correctedTime });
  }
  if (!r.done) throw new RangeError('trailing bytes after batch');
  return upBatch.parse({ device, epoch, firstSeq, lastSeq, entries });
}

/** The most an upload (one batch, packed or JSON) may weigh, on MQTT and over HTTP. */
export const MAX_UP_BYTES = 1 << 20;

/** Why an HTTP upload was refused: an error code, the HTTP status and a message. */
export interface UploadRefusal { code: 'too_large' | 'bad_batch' | 'forbidden'; status: 413 | 400 | 403; message: string }

/**
 * A device's upload over HTTP (HQ's and the hub's `POST /sync/up`): at most MAX_UP_BYTES, a
 * valid batch, of the device that sends it. Each server throws its own error from the refusal.
 */
export function readUpload(body: Buffer, device: string): { batch: UpBatch } | { refused: UploadRefusal } {
  if (body.length > MAX_UP_BYTES) return { refused: { code: 'too_large', status: 413, message: `an upload is at most ${MAX_UP_BYTES} bytes` } };
  let batch: UpBatch;
  try {
    batch = unpackBatch(body);
  } catch (err) {
    return { refused: { code: 'bad_batch', status: 400, message: `not a valid batch: ${(err as Error).message.slice(0, 200)}` } };
  }
  if (batch.device !== device) return { refused: { code: 'forbidden', status: 403, message: 'the batch names another device' } };
  return { batch };
}
