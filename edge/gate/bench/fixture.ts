import { createHash } from 'node:crypto';
import { issuerKeyFromSeed, rawPublicKey, type IssuerKey } from '../../../shared/code/keys.ts';
import type { TicketFacts } from '../../../shared/code/ticket-code.ts';
import { keyedCredential, storedCredential, type CacheCredential } from '../../../shared/rules/credential.ts';
import { laneRules, typeRules } from '../../../shared/rules/model.ts';
import type { Change, ChangeBatch } from '../../../shared/sync/messages.ts';

/**
 * A synthetic site whose every ticket is a pure function of (seed, index): the builder and
 * the measuring process agree on ids, facts and credentials without holding a million of
 * them in memory. Ids are uniformly random like HQ's randomUUID() by default: key order is
 * what makes a B-tree insert cheap or dear, so the bench must not order them by accident.
 */
export interface World {
  seed: Buffer;
  key: IssuerKey;
  /** UTC ms the tickets are valid around. */
  now: number;
  /** v4: random ids, as HQ issues them (randomUUID); v7: time-ordered ids, in sale order. */
  ids: IdKind;
}

export type IdKind = 'v4' | 'v7';

export interface WorldParams {
  seed: string;
  keySeed: string;
  now: number;
  ids: IdKind;
}

export const BENCH_LANE = 'east-1';

export function makeWorld(p: WorldParams): World {
  return { seed: Buffer.from(p.seed, 'hex'), key: issuerKeyFromSeed(Buffer.from(p.keySeed, 'hex')), now: p.now, ids: p.ids };
}

function digest(w: World, i: number): Buffer {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(i);
  return createHash('sha256').update(w.seed).update(n).digest();
}

/** RFC 9562 layout from 16 bytes: version nibble and variant bits set. */
function uuidOf(b: Buffer, version: 4 | 7): string {
  const h = b.toString('hex', 0, 16);
  const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${version}${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** v7: 48-bit milliseconds first, so ticket i sorts after ticket i - 1 (one sale per ms). */
function idOf(w: World, i: number, d: Buffer): string {
  if (w.ids === 'v4') return uuidOf(d, 4);
  const b = Buffer.from(d.subarray(0, 16));
  b.writeUIntBE(w.now - 100_000_000 + i, 0, 6);
  return uuidOf(b, 7);
}

export function ticketId(w: World, i: number): string {
  return idOf(w, i, digest(w, i));
}

/** Adult and child single entry, annual pass (unlimited, 2 a day), package (main + aquarium). */
const TYPES = [1, 1, 1, 1, 2, 2, 3, 4] as const;

export function ticketFacts(w: World, i: number): TicketFacts {
  const d = digest(w, i);
  const typeId = TYPES[d[24]! % TYPES.length]!;
  const persons = d[25]! < 13 ? 2 + (d[26]! % 9) : 1; // ~5% groups of 2..10
  const day = Math.floor(w.now / 1000) - 86_400;
  return { ticketId: idOf(w, i, d), typeId, validFrom: day, validUntil: day + 366 * 86_400, persons, entries: typeId === 3 ? 0 : 1 };
}

/** Which tickets carry a cache-resolved credential: by index, so samples can pick a kind. */
export const CREDENTIAL_SLOTS: Record<CacheCredential, readonly number[]> = { barcode: [0, 1], card: [2], idcard: [3] };
const SLOTS = 10;

export function credentialKindOf(i: number): CacheCredential | undefined {
  const slot = i % SLOTS;
  for (const [kind, slots] of Object.entries(CREDENTIAL_SLOTS)) if (slots.includes(slot)) return kind as CacheCredential;
  return undefined;
}

/** A random ticket index below `count` that carries `kind`. */
export function randomIndexOf(kind: CacheCredential, count: number): number {
  const slots = CREDENTIAL_SLOTS[kind];
  for (;;) {
    const i = Math.floor(Math.random() * Math.floor(count / SLOTS)) * SLOTS + slots[Math.floor(Math.random() * slots.length)]!;
    if (i < count) return i;
  }
}

export function credentialValue(w: World, kind: CacheCredential, i: number): string {
  switch (kind) {
    case 'barcode': return `TK${String(i).padStart(10, '0')}`; // pre-printed stock, numbered
    case 'card': return cardUid(digest(w, i));
    case 'idcard': return idNumber(Math.floor(i / SLOTS));
  }
}

/** A 7-byte UID as readers report it; classifyText needs a hex letter to tell it from a barcode. */
function cardUid(d: Buffer): string {
  const uid = d.toString('hex', 16, 23).toUpperCase();
  return /[A-F]/.test(uid) ? uid : `A${uid.slice(1)}`;
}

const REGIONS = ['110101', '310104', '440305', '510107', '530102'];
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
const BIRTH_DAYS = 20_000;

/** GB 11643 number, unique per n: region, birth date from 1950, sequence, MOD 11-2 check. */
export function idNumber(n: number): string {
  const born = new Date(Date.UTC(1950, 0, 1) + (n % BIRTH_DAYS) * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  const seq = String(Math.floor(n / BIRTH_DAYS) % 1000).padStart(3, '0');
  const region = REGIONS[Math.floor(n / (BIRTH_DAYS * 1000)) % REGIONS.length]!;
  const body = `${region}${born}${seq}`;
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(body[k]) * ID_WEIGHTS[k]!;
  return body + ID_CHECK[sum % 11];
}

type Unseq<T> = T extends unknown ? Omit<T, 'seq'> : never;

/** The issuer key, ticket types and the site's lanes: what a fresh gate pulls first. */
export function setupChanges(w: World): Unseq<Change>[] {
  return [
    { kind: 'key', keyId: w.key.keyId, publicKey: rawPublicKey(w.key.publicKey).toString('hex') },
    { kind: 'type', typeId: 1, rules: typeRules.parse({}) },
    { kind: 'type', typeId: 2, rules: typeRules.parse({}) },
    { kind: 'type', typeId: 3, rules: typeRules.parse({ kind: 'member', perDay: 2, reentry: { windowMinutes: 120 } }) },
    { kind: 'type', typeId: 4, rules: typeRules.parse({ venues: [{ venue: 'main', entries: 1 }, { venue: 'aquarium', entries: 1 }] }) },
    { kind: 'lane', rules: laneRules.parse({ lane: BENCH_LANE, label: 'East 1' }) },
    { kind: 'lane', rules: laneRules.parse({ lane: 'east-2', label: 'East 2 (accessible)', accessible: true }) },
    { kind: 'lane', rules: laneRules.parse({ lane: 'aquarium-1', venue: 'aquarium', directions: ['in', 'out'] }) },
  ];
}

/** The site's credential key of the bench, as pulls carry it. */
export const CREDENTIAL_KEY = Buffer.alloc(32, 5);

/** Ticket `i` as the change log carries it: the ticket row, then its credential if it has one. */
export function ticketChanges(w: World, i: number): Unseq<Change>[] {
  const { ticketId: id, ...row } = ticketFacts(w, i);
  const out: Unseq<Change>[] = [{ kind: 'ticket', ticket: { id, ...row } }];
  const kind = credentialKindOf(i);
  // As HQ sends them: card UIDs and ID numbers as keyed hashes (the gate hashes what it reads).
  if (kind) out.push({ kind: 'credential', credential: kind, value: keyedCredential(CREDENTIAL_KEY, kind, storedCredential(kind, credentialValue(w, kind, i))), ticketId: id });
  return out;
}

/** Numbers changes like HQ's change log and cuts them into pulled batches. */
export class BatchMaker {
  private pending: Change[] = [];

  /** `seq`: the last sequence number already applied, so checkpoints keep moving forward. */
  constructor(private readonly size: number, private seq = 0) {}

  get lastSeq(): number { return this.seq; }

  /** Adds changes; returns a batch whenever one is full. */
  add(changes: Unseq<Change>[]): ChangeBatch | undefined {
    for (const c of changes) this.pending.push({ ...c, seq: ++this.seq } as Change);
    return this.pending.length >= this.size ? this.flush() : undefined;
  }

  flush(): ChangeBatch | undefined {
    if (this.pending.length === 0) return undefined;
    const changes = this.pending;
    this.pending = [];
    return { since: changes[0]!.seq - 1, next: this.seq, more: false, serverTime: Date.now(), changes, credentialKey: CREDENTIAL_KEY.toString('hex') };
  }
}
