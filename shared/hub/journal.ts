import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The site hub's sale journal as it travels to HQ (POST /api/v1/sync/hub/journal): what the
 * hub sold, refunded and closed while serving the site's windows, numbered by the hub
 * (1, 2, 3 ... per hub, never reused), so HQ takes each entry exactly once however often
 * the hub sends it. Money in integer fen. Written by edge/hub, read by cloud/hub-sales.
 */
const uuid = z.string().uuid();
const code = z.string().regex(/^[a-z0-9_-]{1,32}$/);
const fen = z.number().int();
const ms = z.number().int().nonnegative();
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const hubSeller = z.object({ id: uuid, username: z.string().min(1).max(64) });

export const hubTicket = z.object({
  id: uuid,
  /** The signed code as printed (shared/code/ticket-code.ts), signed with the hub's key. */
  code: z.string().min(1).max(400),
  keyId: z.string().regex(/^[0-9a-f]{8}$/),
  typeId: z.number().int().nonnegative(),
  persons: z.number().int().positive(),
  entries: z.number().int().nonnegative(),
  priceFen: fen.nonnegative(),
  validFrom: ms,
  validUntil: ms,
});
export type HubTicket = z.infer<typeof hubTicket>;

export const hubLine = z.object({
  saleId: uuid,
  type: code,
  typeId: z.number().int().nonnegative(),
  quantity: z.number().int().min(1).max(500),
  group: z.enum(['each', 'one']),
  listFen: fen.nonnegative(),
  unitFen: fen.nonnegative(),
  discount: code.nullable(),
  totalFen: fen.nonnegative(),
  persons: z.number().int().positive(),
  tickets: z.array(hubTicket).min(1).max(500),
  /** Sold inside the hub's capacity lease (shared/hub/lease.ts): its places were held at HQ already. */
  leased: z.literal(true).optional(),
});

/** What a hub takes offline: money in hand, a card slip; nothing that needs HQ to answer. */
export const hubPayment = z.discriminatedUnion('method', [
  z.object({ id: uuid, method: z.literal('cash'), amountFen: fen, tenderedFen: fen.nullable(), changeFen: fen.nullable() }),
  z.object({ id: uuid, method: z.literal('card'), amountFen: fen, reference: z.string().min(1).max(40) }),
]);
export type HubPayment = z.infer<typeof hubPayment>;

export const hubOrder = z.object({
  id: uuid,
  seller: hubSeller,
  /** The hub's shift the sale was made in. */
  shiftId: uuid,
  visitDay: day,
  at: ms,
  totalFen: fen.nonnegative(),
  lines: z.array(hubLine).min(1).max(20),
  payments: z.array(hubPayment).min(1).max(10),
  /**
   * The time slot (分时预约) sold, on a day HQ sells by slot: `id` HQ's slot, signed into the
   * tickets' codes as from-to; `leased` when its places came from the hub's slot lease.
   */
  slot: z.object({ id: z.number().int().positive(), from: z.string().regex(/^\d{2}:\d{2}$/), to: z.string().regex(/^\d{2}:\d{2}$/), leased: z.literal(true).optional() }).optional(),
});
export type HubOrder = z.infer<typeof hubOrder>;

/** A refund at the hub of one of its own sales, whole: its tickets revoked, its money paid back. */
export const hubRefund = z.object({
  id: uuid,
  orderId: uuid,
  seller: hubSeller,
  shiftId: uuid,
  at: ms,
  reason: z.string().min(1).max(200),
  amountFen: fen.positive(),
  tickets: z.array(uuid).min(1).max(10_000),
  /** Negative amounts: money going back out. */
  payments: z.array(hubPayment).min(1).max(10),
});
export type HubRefund = z.infer<typeof hubRefund>;

export const hubShift = z.object({
  id: uuid,
  seller: hubSeller,
  openedAt: ms,
  closedAt: ms,
  floatFen: fen.nonnegative(),
  /** Cash the drawer should hold (float + cash taken - cash paid back) and what was counted. */
  expectedCashFen: fen,
  countedCashFen: fen,
  salesFen: fen,
  refundsFen: fen,
  orders: z.number().int().nonnegative(),
  /** What was counted per method at the handover (cash in the drawer, card slips). */
  counted: z.record(z.string().regex(/^[a-z_]{1,32}$/), fen.nonnegative()).optional(),
});
export type HubShift = z.infer<typeof hubShift>;

/**
 * A booking (online, OTA) handed out at the hub's window (取票), from the hub's copy of the
 * change log when the line is down: HQ records it once by its id, and a second pickup of the
 * same booking (HQ's window and the hub's during an outage) is kept and flagged `duplicate`.
 */
export const hubPickup = z.object({
  pickupId: z.string().regex(/^[A-Za-z0-9_.:-]{8,80}$/),
  orderNo: z.string().min(1).max(40),
  seller: hubSeller,
  at: ms,
  /** Taken from the hub's copy (the line was down) rather than from HQ's answer. */
  offline: z.boolean(),
});
export type HubPickup = z.infer<typeof hubPickup>;

export const journalEntry = z.discriminatedUnion('kind', [
  z.object({ seq: z.number().int().positive(), kind: z.literal('order'), order: hubOrder }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('refund'), refund: hubRefund }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('shift'), shift: hubShift }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('pickup'), pickup: hubPickup }),
]);
export type JournalEntry = z.infer<typeof journalEntry>;

export const journalUpload = z.object({ entries: z.array(journalEntry).min(1).max(200) }).strict();

export const journalAck = z.object({
  /** Every seq of the upload HQ now holds (taken now or before). */
  taken: z.array(z.number().int().positive()),
  /** Seqs HQ refuses for good (the same number with other content): kept at the hub, shown to staff. */
  refused: z.array(z.object({ seq: z.number().int().positive(), code: z.string(), message: z.string() })),
});
export type JournalAck = z.infer<typeof journalAck>;

/** The digest HQ keeps of an entry, over a canonical form, so a re-send compares equal. */
export function entryDigest(e: JournalEntry): string {
  return createHash('sha256').update(canonicalJson(e)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** What HQ gives a hub to sell with offline (GET /api/v1/sync/hub/kit). */
export const hubKit = z.object({
  site: z.string(),
  at: ms,
  timeZone: z.string(),
  types: z.array(z.object({
    id: z.number().int().nonnegative(), code, name: z.string(), active: z.boolean(), persons: z.number().int().positive(),
    entries: z.number().int().nonnegative(), validityDays: z.number().int().positive(), saleMethods: z.array(z.string()), category: z.string(),
    /** The price on each of the next days (price calendar applied), by business day. */
    prices: z.record(day, fen.nonnegative()),
    basePriceFen: fen.nonnegative(),
    /** The daily capacity on each of those days (null: not limited); a limited day is sold only within a lease. */
    capacity: z.record(day, z.number().int().nonnegative().nullable()).optional(),
    /** The venue whose time slots the type is sold by (cloud/slots slotVenue). */
    slotVenue: z.string().optional(),
  })),
  /** The site's time slots on those days: a day with slots for a venue is sold by slot, within the hub's slot leases. */
  slots: z.array(z.object({ id: z.number().int().positive(), venue: z.string(), day, from: z.string(), to: z.string(), quota: z.number().int().nonnegative() })).optional(),
  discounts: z.array(z.object({ code, name: z.string(), kind: z.enum(['percent', 'fixed']), value: z.number().int().nonnegative(), customerCategory: z.string().nullable(), active: z.boolean() })),
  users: z.array(z.object({
    id: uuid, username: z.string(), displayName: z.string(), roles: z.array(z.string()), permissions: z.array(z.string()),
    /** scrypt$N$r$p$salt$hash (shared/auth/password.ts): checked at the hub, never reversed. */
    passwordHash: z.string(),
    active: z.boolean(),
    grants: z.object({ types: z.array(code), discounts: z.array(code) }),
  })),
});
export type HubKit = z.infer<typeof hubKit>;

export const keyDelegation = z.object({
  keyId: z.string().regex(/^[0-9a-f]{8}$/),
  publicKey: z.string().regex(/^[0-9a-f]{64}$/),
}).strict();
export const delegatedKey = z.object({ keyId: z.string(), notAfter: ms });
