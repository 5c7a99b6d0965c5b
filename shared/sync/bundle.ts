import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { UpBatch } from './messages.ts';
import { decodeBatch, encodeBatch, MAX_INFLATED, Reader, Writer } from './pack.ts';

/**
 * A site hub's bundle: what its LAN's devices sent for HQ during one coalescing period, as
 * one message over the WAN (`tk/v1/{site}/{hub}/bundle`), deflated together. One message
 * instead of one per gate batch saves, per batch, its MQTT and TCP/IP headers, the broker's
 * PUBACK and HQ's ack; deflating the gates' statuses and batches together finds what they
 * share (lane and venue names, JSON keys). Batches of one device stream are merged first
 * (mergeBatches), so a gate that sent each entry at once on the LAN costs one batch header.
 *
 * Layout (version 1), before deflate:
 *   u8      version (1)
 *   varint  bundle id (the hub's, echoed in HQ's ack)
 *   varint  item count
 *   per item:
 *     u8    kind: 0 batch, 1 status, 2 reported, 3 cmd/res
 *     batch:   varint length, the batch's layout before deflate (pack.ts encodeBatch)
 *     message: u8+utf8 device, varint length, the payload as the device sent it
 *
 * HQ answers on `.../bundle/ack` with `{id, upTo}`: the bundle's id and, per batch in order,
 * what HQ acks of that batch's stream ("up to N"); the hub relays each to its gate.
 */
const VERSION = 1;
export const BUNDLE_MESSAGES = ['status', 'reported', 'cmd/res'] as const;
export type BundleMessageKind = (typeof BUNDLE_MESSAGES)[number];
export type BundleItem =
  | { kind: 'batch'; batch: UpBatch }
  | { kind: BundleMessageKind; device: string; payload: Buffer };

/** Items in one bundle at most: a hostile bundle must not make HQ loop for long. */
const MAX_ITEMS = 10_000;

export interface Bundle { id: number; items: BundleItem[] }

export function packBundle(bundle: { id: number; items: readonly BundleItem[] }): Buffer {
  const { id, items } = bundle;
  const w = new Writer();
  w.u8(VERSION);
  w.varint(id);
  w.varint(items.length);
  for (const item of items) {
    if (item.kind === 'batch') {
      const raw = encodeBatch(item.batch);
      w.u8(0);
      w.varint(raw.length);
      w.bytes(raw);
    } else {
      w.u8(1 + BUNDLE_MESSAGES.indexOf(item.kind));
      w.str(item.device);
      w.varint(item.payload.length);
      w.bytes(item.payload);
    }
  }
  return deflateRawSync(w.done(), { level: 9 });
}

/** Decodes a bundle; throws with a reason on anything malformed (each batch is checked as pack.ts checks it). */
export function unpackBundle(payload: Buffer): Bundle {
  const r = new Reader(inflateRawSync(payload, { maxOutputLength: MAX_INFLATED }));
  const version = r.u8();
  if (version !== VERSION) throw new RangeError(`unknown bundle version ${version}`);
  const id = r.varint();
  const count = r.varint();
  if (count > MAX_ITEMS) throw new RangeError('too many items');
  const items: BundleItem[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8();
    if (kind === 0) {
      items.push({ kind: 'batch', batch: decodeBatch(Buffer.from(r.bytes(r.varint()))) });
      continue;
    }
    const message = BUNDLE_MESSAGES[kind - 1];
    if (!message) throw new RangeError(`bad item kind ${kind}`);
    const device = r.str();
    items.push({ kind: message, device, payload: Buffer.from(r.bytes(r.varint())) });
  }
  if (!r.done) throw new RangeError('trailing bytes after bundle');
  return { id, items };
}

/**
 * Batches of one device stream (device and epoch) that touch or overlap, merged into one, in
 * the order their streams first appear: a gate that re-sent a range while the first copy
 * still waited at the hub costs its entries once. A batch holds one entry per sequence number
 * (pack.ts), so an entry is known by its stream and number.
 */
export function mergeBatches(batches: readonly UpBatch[]): UpBatch[] {
  const out: UpBatch[] = [];
  const open = new Map<string, UpBatch>();
  for (const b of batches) {
    const key = `${b.device}/${b.epoch}`;
    const cur = open.get(key);
    if (cur && b.firstSeq <= cur.lastSeq + 1 && b.lastSeq >= cur.firstSeq - 1) {
      const bySeq = new Map<number, UpBatch['entries'][number]>();
      cur.entries.forEach((e, i) => bySeq.set(cur.firstSeq + i, e));
      b.entries.forEach((e, i) => { if (!bySeq.has(b.firstSeq + i)) bySeq.set(b.firstSeq + i, e); });
      const firstSeq = Math.min(cur.firstSeq, b.firstSeq);
      const lastSeq = Math.max(cur.lastSeq, b.lastSeq);
      const merged = { ...cur, firstSeq, lastSeq, entries: Array.from({ length: lastSeq - firstSeq + 1 }, (_, i) => bySeq.get(firstSeq + i)!) };
      out[out.indexOf(cur)] = merged;
      open.set(key, merged);
    } else {
      out.push(b);
      open.set(key, b);
    }
  }
  return out;
}
