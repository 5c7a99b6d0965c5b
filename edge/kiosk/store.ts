import { and, asc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { publicKeyFromRaw, type Keyring } from '../../shared/code/keys.ts';
import { bookingRow, type BookingRow } from '../../shared/sync/messages.ts';
import type { KioskDb } from './db/open.ts';
import { bookings, bookingTickets, issuerKeys, meta, outbox, pickups, sales, templates, ticketTypes, walletAttempts } from './db/schema.ts';

export type CachedBooking = typeof bookings.$inferSelect & { tickets: (typeof bookingTickets.$inferSelect)[] };
export type PickupRow = typeof pickups.$inferSelect;
export type SaleRow = typeof sales.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type WalletAttemptRow = typeof walletAttempts.$inferSelect;
export type TypeRow = typeof ticketTypes.$inferSelect;

/** What a pickup posted to HQ carries (cloud/channels/pickup.ts devicePickups). */
export interface PickupReport { pickupId: string; orderNo: string; at: number; site: string }

/**
 * A template change as far as the kiosk needs to know it: a key (the ticket type it is for,
 * or the site default) and the layout, kept as sent.
 */
const templateChange = z.object({
  seq: z.number().int().positive(),
  kind: z.literal('template'),
}).passthrough();

const keyChange = z.object({ seq: z.number().int().positive(), kind: z.literal('key'), keyId: z.string().regex(/^[0-9a-f]{8}$/), publicKey: z.string().regex(/^[0-9a-f]{64}$/) });
const bookingChange = z.object({ seq: z.number().int().positive(), kind: z.literal('booking'), booking: bookingRow });

/** The key a template change is stored under: its ticket type, or `default`. */
export function templateKey(c: Record<string, unknown>): string {
  const t = (c.template ?? c) as Record<string, unknown>;
  const typeId = t.typeId ?? c.typeId;
  return typeof typeId === 'number' ? `type:${typeId}` : 'default';
}

/** The kiosk's SQLite state: booking cache, pickups, their outbox, self-service sales. */
export class KioskStore {
  constructor(readonly db: KioskDb, private readonly now: () => number = Date.now) {}

  /** HQ's public keys, to read the facts (validity, persons) of the codes the kiosk prints. */
  keyring(): Keyring {
    const map = new Map<string, KeyObject>();
    for (const k of this.db.select().from(issuerKeys).all()) map.set(k.keyId, publicKeyFromRaw(Buffer.from(k.publicKey, 'hex')));
    return map;
  }

  meta(key: string): string | undefined {
    return this.db.select().from(meta).where(eq(meta.key, key)).get()?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value } }).run();
  }

  checkpoint(): number {
    return Number(this.meta('checkpoint') ?? 0);
  }

  /**
   * Applies one page of the change log with its checkpoint in one transaction. Only
   * `booking`, `template` and `key` changes matter here; the rest (tickets, lanes, modes)
   * are for gates and are skipped, though the checkpoint moves past them.
   */
  applyBatch(batch: { next: number; changes: unknown[] }): { bookings: number; templates: number } {
    const counts = { bookings: 0, templates: 0 };
    this.db.transaction((tx) => {
      for (const raw of batch.changes) {
        const kind = (raw as { kind?: unknown })?.kind;
        if (kind === 'booking') {
          const c = bookingChange.parse(raw);
          this.putBooking(tx as unknown as KioskDb, c.booking, c.seq);
          counts.bookings++;
        } else if (kind === 'template') {
          const c = templateChange.parse(raw);
          tx.insert(templates).values({ key: templateKey(c), body: JSON.stringify(c), seq: c.seq })
            .onConflictDoUpdate({ target: templates.key, set: { body: JSON.stringify(c), seq: c.seq } }).run();
          counts.templates++;
        } else if (kind === 'key') {
          const c = keyChange.parse(raw);
          tx.insert(issuerKeys).values({ keyId: c.keyId, publicKey: c.publicKey }).onConflictDoUpdate({ target: issuerKeys.keyId, set: { publicKey: c.publicKey } }).run();
        }
      }
      this.pruneIn(tx as unknown as KioskDb);
      tx.insert(meta).values({ key: 'checkpoint', value: String(batch.next) })
        .onConflictDoUpdate({ target: meta.key, set: { value: String(batch.next) } }).run();
    });
    return counts;
  }

  private putBooking(tx: KioskDb, b: BookingRow, seq: number): void {
    const prior = tx.select({ seq: bookings.seq }).from(bookings).where(eq(bookings.orderNo, b.orderNo)).get();
    if (prior && prior.seq > seq) return;
    const row = {
      orderNo: b.orderNo, pickupCode: b.pickupCode, visitDay: b.visitDay, validUntil: b.validUntil, state: b.state,
      phoneHash: b.phoneHash, phoneLast4: b.phoneLast4, idHash: b.idHash, contactName: b.contactName, seq,
    };
    tx.insert(bookings).values(row).onConflictDoUpdate({ target: bookings.orderNo, set: row }).run();
    tx.delete(bookingTickets).where(eq(bookingTickets.orderNo, b.orderNo)).run();
    if (b.tickets.length) {
      tx.insert(bookingTickets).values(b.tickets.map((t) => ({ ticketId: t.id, orderNo: b.orderNo, code: t.code, typeId: t.typeId, persons: t.persons })))
        .onConflictDoNothing().run();
    }
  }

  /** Bookings whose visit day is over leave the cache. */
  private pruneIn(tx: KioskDb): void {
    const gone = tx.select({ orderNo: bookings.orderNo }).from(bookings).where(lt(bookings.validUntil, Math.floor(this.now() / 1000))).all();
    if (!gone.length) return;
    const ids = gone.map((g) => g.orderNo);
    tx.delete(bookingTickets).where(inArray(bookingTickets.orderNo, ids)).run();
    tx.delete(bookings).where(inArray(bookings.orderNo, ids)).run();
  }

  /** HQ answered with another log (or said reset): the cache goes, pickups and the outbox stay. */
  resetCache(log: string): void {
    this.db.transaction((tx) => {
      tx.delete(bookingTickets).run();
      tx.delete(bookings).run();
      tx.delete(templates).run();
      tx.delete(issuerKeys).run();
      tx.insert(meta).values({ key: 'checkpoint', value: '0' }).onConflictDoUpdate({ target: meta.key, set: { value: '0' } }).run();
      tx.insert(meta).values({ key: 'change_log', value: log }).onConflictDoUpdate({ target: meta.key, set: { value: log } }).run();
    });
  }

  booking(orderNo: string): CachedBooking | undefined {
    const b = this.db.select().from(bookings).where(eq(bookings.orderNo, orderNo)).get();
    if (!b) return undefined;
    const tickets = this.db.select().from(bookingTickets).where(eq(bookingTickets.orderNo, orderNo)).orderBy(asc(bookingTickets.ticketId)).all();
    return { ...b, tickets };
  }

  private many(orderNos: string[]): CachedBooking[] {
    return [...new Set(orderNos)].slice(0, 20).map((o) => this.booking(o)!).filter(Boolean);
  }

  byOrderAndPhone(orderNo: string, phoneHash: string): CachedBooking[] {
    const rows = this.db.select({ o: bookings.orderNo }).from(bookings).where(and(eq(bookings.orderNo, orderNo), eq(bookings.phoneHash, phoneHash))).all();
    return this.many(rows.map((r) => r.o));
  }

  byPhone(phoneHash: string, fromDay: string): CachedBooking[] {
    const rows = this.db.select({ o: bookings.orderNo }).from(bookings).where(and(eq(bookings.phoneHash, phoneHash), gte(bookings.visitDay, fromDay))).all();
    return this.many(rows.map((r) => r.o));
  }

  byIdHash(idHash: string, fromDay: string): CachedBooking[] {
    const rows = this.db.select({ o: bookings.orderNo }).from(bookings).where(and(eq(bookings.idHash, idHash), gte(bookings.visitDay, fromDay))).all();
    return this.many(rows.map((r) => r.o));
  }

  /** The booking's QR (its pickup code) or one of its ticket codes. */
  byCode(code: string): CachedBooking[] {
    const direct = this.db.select({ o: bookings.orderNo }).from(bookings).where(eq(bookings.pickupCode, code)).all();
    const viaTicket = this.db.select({ o: bookingTickets.orderNo }).from(bookingTickets).where(eq(bookingTickets.code, code)).all();
    return this.many([...direct, ...viaTicket].map((r) => r.o));
  }

  /** HQ told us a booking's state (online lookup): the cache follows, so an offline lookup later agrees. */
  setBookingState(orderNo: string, state: string): void {
    this.db.update(bookings).set({ state }).where(eq(bookings.orderNo, orderNo)).run();
  }

  bookingCount(): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(bookings).get()!.n;
  }

  template(key: string): unknown | undefined {
    const row = this.db.select().from(templates).where(eq(templates.key, key)).get();
    return row ? JSON.parse(row.body) : undefined;
  }

  setTypes(list: TypeRow[]): void {
    this.db.transaction((tx) => {
      tx.delete(ticketTypes).run();
      if (list.length) tx.insert(ticketTypes).values(list).run();
    });
  }

  types(): TypeRow[] {
    return this.db.select().from(ticketTypes).orderBy(asc(ticketTypes.typeId)).all();
  }

  // ---- pickups ----

  pickupsOf(orderNo: string): PickupRow[] {
    return this.db.select().from(pickups).where(eq(pickups.orderNo, orderNo)).orderBy(asc(pickups.createdAt)).all();
  }

  pickup(pickupId: string): PickupRow | undefined {
    return this.db.select().from(pickups).where(eq(pickups.pickupId, pickupId)).get();
  }

  /** Starts a pickup, or returns the unfinished one of this booking (a pickup cut short resumes). */
  beginPickup(p: { pickupId: string; orderNo: string; total: number; source: 'hq' | 'cache' }): PickupRow {
    return this.db.transaction((tx) => {
      const open = tx.select().from(pickups).where(and(eq(pickups.orderNo, p.orderNo), eq(pickups.state, 'printing'))).get();
      if (open) return open;
      const row = { ...p, state: 'printing', printed: '[]', createdAt: this.now(), doneAt: null, hqResult: null };
      tx.insert(pickups).values(row).run();
      return row;
    });
  }

  /**
   * One ticket of a pickup came out of the printer. With the first one the pickup becomes a
   * fact: it is queued for HQ in the same transaction; with the last one it is done.
   */
  ticketPrinted(pickupId: string, ticketId: string, site: string): PickupRow {
    return this.db.transaction((tx) => {
      const p = tx.select().from(pickups).where(eq(pickups.pickupId, pickupId)).get();
      if (!p) throw new Error(`no pickup ${pickupId}`);
      const printed = JSON.parse(p.printed) as string[];
      if (printed.includes(ticketId)) return p;
      printed.push(ticketId);
      const now = this.now();
      const done = printed.length >= p.total;
      const next = { printed: JSON.stringify(printed), state: done ? 'done' : 'printing', doneAt: done ? now : null };
      tx.update(pickups).set(next).where(eq(pickups.pickupId, pickupId)).run();
      if (printed.length === 1) {
        const report: PickupReport = { pickupId, orderNo: p.orderNo, at: now, site };
        tx.insert(outbox).values({ pickupId, body: JSON.stringify(report), nextAttemptAt: 0, createdAt: now }).onConflictDoNothing().run();
        tx.update(bookings).set({ state: 'picked_up' }).where(eq(bookings.orderNo, p.orderNo)).run();
      }
      return { ...p, ...next };
    });
  }

  // ---- outbox ----

  outboxDue(limit: number): OutboxRow[] {
    return this.db.select().from(outbox).where(lte(outbox.nextAttemptAt, this.now())).orderBy(asc(outbox.seq)).limit(limit).all();
  }

  outboxSize(): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(outbox).get()!.n;
  }

  /** When the next queued pickup is due (undefined: queue empty). */
  outboxNextAt(): number | undefined {
    return this.db.select({ t: sql<number | null>`min(${outbox.nextAttemptAt})` }).from(outbox).get()?.t ?? undefined;
  }

  /** HQ recorded these pickups: they leave the queue, HQ's answer stays with the pickup. */
  acknowledge(results: { pickupId: string; result: string }[]): void {
    this.db.transaction((tx) => {
      for (const r of results) {
        tx.update(pickups).set({ hqResult: r.result }).where(eq(pickups.pickupId, r.pickupId)).run();
        tx.delete(outbox).where(eq(outbox.pickupId, r.pickupId)).run();
      }
    });
  }

  /** A send failed: try again at `nextAt`. */
  deferred(pickupIds: string[], error: string, nextAt: number): void {
    if (!pickupIds.length) return;
    this.db.update(outbox).set({ attempts: sql`${outbox.attempts} + 1`, lastError: error.slice(0, 500), nextAttemptAt: nextAt })
      .where(inArray(outbox.pickupId, pickupIds)).run();
  }

  // ---- self-service sales ----

  createSale(s: { attemptId: string; items: { type: string; quantity: number }[]; amountFen: number }): SaleRow {
    const now = this.now();
    const row = { attemptId: s.attemptId, items: JSON.stringify(s.items), amountFen: s.amountFen, state: 'new', tickets: null, printed: '[]', error: null, createdAt: now, updatedAt: now };
    this.db.insert(sales).values(row).run();
    return row;
  }

  sale(attemptId: string): SaleRow | undefined {
    return this.db.select().from(sales).where(eq(sales.attemptId, attemptId)).get();
  }

  updateSale(attemptId: string, set: Partial<Pick<SaleRow, 'state' | 'tickets' | 'error' | 'printed'>>): SaleRow {
    this.db.update(sales).set({ ...set, updatedAt: this.now() }).where(eq(sales.attemptId, attemptId)).run();
    return this.sale(attemptId)!;
  }

  saleTicketPrinted(attemptId: string, ticketId: string): SaleRow {
    return this.db.transaction(() => {
      const s = this.sale(attemptId)!;
      const printed = JSON.parse(s.printed) as string[];
      if (!printed.includes(ticketId)) printed.push(ticketId);
      const total = s.tickets ? (JSON.parse(s.tickets) as unknown[]).length : 0;
      return this.updateSale(attemptId, { printed: JSON.stringify(printed), state: printed.length >= total ? 'done' : s.state });
    });
  }

  // ---- wristband wallets (一卡通) ----

  createWalletAttempt(a: Pick<WalletAttemptRow, 'attemptId' | 'bandUid' | 'kind' | 'depositFen' | 'topUpFen' | 'amountFen'>): WalletAttemptRow {
    const now = this.now();
    const row: WalletAttemptRow = { ...a, state: 'new', result: null, printed: false, error: null, createdAt: now, updatedAt: now };
    this.db.insert(walletAttempts).values(row).run();
    return row;
  }

  walletAttempt(attemptId: string): WalletAttemptRow | undefined {
    return this.db.select().from(walletAttempts).where(eq(walletAttempts.attemptId, attemptId)).get();
  }

  updateWalletAttempt(attemptId: string, set: Partial<Pick<WalletAttemptRow, 'state' | 'result' | 'printed' | 'error'>>): WalletAttemptRow {
    this.db.update(walletAttempts).set({ ...set, updatedAt: this.now() }).where(eq(walletAttempts.attemptId, attemptId)).run();
    return this.walletAttempt(attemptId)!;
  }
}
