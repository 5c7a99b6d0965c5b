import { randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { EntryRecord, UpBatch } from '../../shared/sync/messages.ts';
import { packBatch } from '../../shared/sync/pack.ts';

/** A sold ticket an entry can name. */
export interface PoolTicket {
  id: string;
  persons: number;
}

const ENTRANCES = ['east-1', 'east-2', 'east-3'];
const EXIT = 'east-out';

/**
 * A day at a busy entrance, as the outbox would hold it: mostly first admissions of sold
 * tickets (groups sometimes passing in parts), exits and re-entries of tickets already in,
 * passages given back when leaves timed out, the odd emergency passage (no ticket), a few
 * entries to a park-in-park venue, and a clock offset re-learned halfway. Nonces are random
 * UUIDs as the gate makes them; `random` (seeded) only picks the mix, so runs compare.
 */
export function makeEntries(opts: { count: number; pool: PoolTicket[]; start: number; meanGapMs: number; random: () => number }): EntryRecord[] {
  const { count, pool, random } = opts;
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const take = <T>(xs: T[]) => xs.splice(Math.floor(random() * xs.length), 1)[0]!;
  const inside: PoolTicket[] = [];
  const outside: PoolTicket[] = [];
  const groupRest = new Map<PoolTicket, number>();
  let next = 0;
  let last: PoolTicket | undefined;
  let t = opts.start;
  const out: EntryRecord[] = [];
  for (let i = 0; i < count; i++) {
    t += Math.max(1, Math.round(-Math.log(1 - random()) * opts.meanGapMs));
    const offset = i < count / 2 ? -1_830 : -1_791;
    const base = { nonce: randomUUID(), venue: random() < 0.08 ? 'aquarium' : 'main', deviceTime: t, correctedTime: t + offset };
    const r = random();
    let e: Omit<EntryRecord, keyof typeof base>;
    if (r < 0.01) {
      e = { ticketId: null, persons: 1, lane: pick(ENTRANCES), direction: 'in', kind: 'emergency' };
    } else if (r < 0.04 && last) {
      e = { ticketId: last.id, persons: 1, lane: pick(ENTRANCES), direction: 'in', kind: 'return' };
    } else if (r < 0.10 && inside.length) {
      const ticket = take(inside);
      outside.push(ticket);
      e = { ticketId: ticket.id, persons: ticket.persons, lane: EXIT, direction: 'out', kind: 'exit' };
    } else if (r < 0.15 && outside.length) {
      const ticket = take(outside);
      inside.push(ticket);
      e = { ticketId: ticket.id, persons: ticket.persons, lane: pick(ENTRANCES), direction: 'in', kind: 'reentry' };
    } else if (r < 0.18 && groupRest.size) {
      const [ticket, rest] = groupRest.entries().next().value!;
      groupRest.delete(ticket);
      e = { ticketId: ticket.id, persons: rest, lane: pick(ENTRANCES), direction: 'in', kind: 'normal' };
    } else {
      // Past the end of the pool tickets come round again: entries beyond what they grant, as offline gates make.
      const ticket = pool[next++ % pool.length]!;
      let persons = ticket.persons;
      if (persons > 2 && random() < 0.3) {
        const part = 1 + Math.floor(random() * (persons - 1));
        groupRest.set(ticket, persons - part);
        persons = part;
      }
      inside.push(ticket);
      if (inside.length > 500) inside.shift();
      last = ticket;
      e = { ticketId: ticket.id, persons, lane: pick(ENTRANCES), direction: 'in', kind: 'normal' };
    }
    out.push({ ...base, ...e });
  }
  return out;
}

const varintLen = (n: number) => {
  let len = 1;
  while (n >= 0x80) { n = Math.floor(n / 0x80); len++; }
  return len;
};
const zigzagLen = (n: number) => varintLen(n >= 0 ? n * 2 : -n * 2 - 1);

/**
 * The information floor: bytes of each entry's own fields in the pack.ts layout before
 * deflate (flags 1, ticket id 16 when present, varints for persons, lane and venue indexes,
 * zigzag varints for the device-time delta and the correction), averaged. The nonce is not
 * counted: it is derived from the device epoch and the sequence number (shared/sync/nonce.ts)
 * and carries no information of its own; `floorWithNonceBytes` gives the figure with a
 * 16-byte random nonce for comparison. Batch headers and the string table are left out, so
 * this is what any per-entry encoding of these fields costs at best.
 *
 * Method, checked by `checkFloor`: a local encoder that mirrors pack.ts field by field;
 * inflating packBatch's output and subtracting the header must give the same sum.
 */
export function floorBytes(entries: EntryRecord[]): number {
  return entryBytes(entries, 0).reduce((a, b) => a + b, 0) / entries.length;
}

export function floorWithNonceBytes(entries: EntryRecord[]): number {
  return entryBytes(entries, 16).reduce((a, b) => a + b, 0) / entries.length;
}

function entryBytes(entries: EntryRecord[], nonceBytes: number): number[] {
  const strings = new Map<string, number>();
  const idx = (s: string) => {
    if (!strings.has(s)) strings.set(s, strings.size);
    return strings.get(s)!;
  };
  for (const e of entries) { idx(e.lane); idx(e.venue); }
  let prev = entries[0]?.deviceTime ?? 0;
  return entries.map((e) => {
    const n = nonceBytes + 1 + (e.ticketId ? 16 : 0) + varintLen(e.persons) + varintLen(idx(e.lane)) + varintLen(idx(e.venue))
      + zigzagLen(e.deviceTime - prev) + zigzagLen(e.correctedTime - e.deviceTime);
    prev = e.deviceTime;
    return n;
  });
}

/** Throws unless the local encoder agrees with pack.ts on `batch` (raw, undeflated size). */
export function checkFloor(batch: UpBatch): void {
  const raw = inflateRawSync(packBatch(batch)).length;
  const strings = [...new Set(batch.entries.flatMap((e) => [e.lane, e.venue]))];
  const header = 1 + 1 + Buffer.byteLength(batch.device) + 16 + varintLen(batch.firstSeq) + varintLen(batch.lastSeq)
    + varintLen(batch.entries.length) + varintLen(strings.length) + strings.reduce((a, s) => a + 1 + Buffer.byteLength(s), 0)
    + varintLen(Math.max(0, batch.entries[0]?.deviceTime ?? 0));
  const mine = header + entryBytes(batch.entries, 16).reduce((a, b) => a + b, 0);
  if (mine !== raw) throw new Error(`floor encoder disagrees with pack.ts: ${mine} vs ${raw} raw bytes`);
}
