import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { HubOrder, HubPickup, HubRefund, HubShift, JournalEntry } from '../../../shared/hub/journal.ts';

export interface ShiftRow { id: string; sellerId: string; floatFen: number; openedAt: number; closedAt: number | null; report: unknown }
export interface OrderRow { id: string; seq: number; sellerId: string; shiftId: string; order: HubOrder; refund: HubRefund | null }
export interface JournalRow { seq: number; kind: string; body: string; createdAt: number; takenAt: number | null; refused: string | null }

/**
 * The hub's book of what its windows did: orders, refunds, shifts and login sessions, and the
 * journal HQ takes them from. Each sale and its journal entry commit in one SQLite
 * transaction (synchronous=FULL, hub.sqlite): a sale the window was told about survives a
 * power cut and reaches HQ; a sale that did not commit was never told about. The only code
 * that writes these tables.
 */
export class SaleBook {
  constructor(private readonly db: Database.Database) {}

  /** Runs `fn` in one transaction (better-sqlite3's are synchronous: nothing interleaves). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private journal(kind: JournalEntry['kind'], body: unknown, at: number): number {
    return Number(this.db.prepare('insert into journal (kind, body, created_at) values (?, ?, ?)').run(kind, JSON.stringify(body), at).lastInsertRowid);
  }

  openShift(s: { id: string; sellerId: string; floatFen: number; at: number }): void {
    this.db.prepare('insert into hub_shifts (id, seller_id, float_fen, opened_at) values (?, ?, ?, ?)').run(s.id, s.sellerId, s.floatFen, s.at);
  }

  openShiftOf(sellerId: string): ShiftRow | undefined {
    return this.shiftWhere('seller_id = ? and closed_at is null', sellerId);
  }

  shift(id: string): ShiftRow | undefined {
    return this.shiftWhere('id = ?', id);
  }

  private shiftWhere(where: string, arg: string): ShiftRow | undefined {
    const r = this.db.prepare(`select id, seller_id sellerId, float_fen floatFen, opened_at openedAt, closed_at closedAt, report from hub_shifts where ${where}`).get(arg) as
      (Omit<ShiftRow, 'report'> & { report: string | null }) | undefined;
    return r && { ...r, report: r.report ? JSON.parse(r.report) : null };
  }

  closeShift(s: HubShift, report: unknown): void {
    this.tx(() => {
      this.db.prepare('update hub_shifts set closed_at = ?, report = ? where id = ? and closed_at is null').run(s.closedAt, JSON.stringify(report), s.id);
      this.journal('shift', s, s.closedAt);
    });
  }

  /** A sale, with its journal entry; returns the entry's number. */
  addOrder(o: HubOrder, idempotencyKey: string | undefined): number {
    return this.tx(() => {
      const seq = this.journal('order', o, o.at);
      this.db.prepare('insert into hub_orders (id, seq, seller_id, shift_id, idempotency_key, body) values (?, ?, ?, ?, ?, ?)')
        .run(o.id, seq, o.seller.id, o.shiftId, idempotencyKey ?? null, JSON.stringify(o));
      return seq;
    });
  }

  addRefund(r: HubRefund): number {
    return this.tx(() => {
      const changed = this.db.prepare('update hub_orders set refund = ? where id = ? and refund is null').run(JSON.stringify(r), r.orderId).changes;
      if (changed !== 1) throw new Error(`order ${r.orderId} is not refundable here`);
      return this.journal('refund', r, r.at);
    });
  }

  order(id: string): OrderRow | undefined {
    return this.orderWhere('id = ?', id)[0];
  }

  orderByKey(key: string): OrderRow | undefined {
    return this.orderWhere('idempotency_key = ?', key)[0];
  }

  ordersOfShift(shiftId: string): OrderRow[] {
    return this.orderWhere('shift_id = ? order by seq', shiftId);
  }

  private orderWhere(where: string, arg: string): OrderRow[] {
    return (this.db.prepare(`select id, seq, seller_id sellerId, shift_id shiftId, body, refund from hub_orders where ${where}`).all(arg) as
      { id: string; seq: number; sellerId: string; shiftId: string; body: string; refund: string | null }[])
      .map((r) => ({ id: r.id, seq: r.seq, sellerId: r.sellerId, shiftId: r.shiftId, order: JSON.parse(r.body) as HubOrder, refund: r.refund ? JSON.parse(r.refund) as HubRefund : null }));
  }

  refundsOfShift(shiftId: string): HubRefund[] {
    return (this.db.prepare("select refund from hub_orders where refund is not null and json_extract(refund, '$.shiftId') = ?").all(shiftId) as { refund: string }[])
      .map((r) => JSON.parse(r.refund) as HubRefund);
  }

  /** The whole journal after `seq` (taken or not), oldest first: the site's own record. */
  entries(afterSeq: number, limit: number): JournalEntry[] {
    return this.rows('select seq, kind, body from journal where seq > ? order by seq limit ?', afterSeq, limit);
  }

  private rows(query: string, ...args: unknown[]): JournalEntry[] {
    return (this.db.prepare(query).all(...args) as { seq: number; kind: string; body: string }[])
      .map((r) => ({ seq: r.seq, kind: r.kind, [r.kind]: JSON.parse(r.body) }) as unknown as JournalEntry);
  }

  /** Journal entries HQ has not taken yet, oldest first. */
  pending(limit: number): JournalEntry[] {
    return this.rows('select seq, kind, body from journal where taken_at is null order by seq limit ?', limit);
  }

  /** HQ holds these: they are kept (the site's own record) but not sent again. */
  taken(seqs: number[], at: number): void {
    const st = this.db.prepare('update journal set taken_at = ?, refused = null where seq = ? and taken_at is null');
    this.tx(() => { for (const s of seqs) st.run(at, s); });
  }

  refused(list: { seq: number; code: string; message: string }[]): void {
    const st = this.db.prepare('update journal set refused = ? where seq = ? and taken_at is null');
    this.tx(() => { for (const r of list) st.run(JSON.stringify({ code: r.code, message: r.message }), r.seq); });
  }

  journalStats(): { entries: number; pending: number; refused: number; lastSeq: number } {
    const r = this.db.prepare(`select count(*) entries, sum(taken_at is null) pending, sum(refused is not null and taken_at is null) refused, coalesce(max(seq), 0) lastSeq from journal`).get() as
      { entries: number; pending: number | null; refused: number | null; lastSeq: number };
    return { entries: r.entries, pending: r.pending ?? 0, refused: r.refused ?? 0, lastSeq: r.lastSeq };
  }

  /** A booking handed out here, with its journal entry; false when it was handed out here before. */
  addPickup(pk: HubPickup): boolean {
    return this.tx(() => {
      if (this.pickupOf(pk.orderNo)) return false;
      const seq = this.journal('pickup', pk, pk.at);
      this.db.prepare('insert into hub_pickups (pickup_id, order_no, seller_id, at, seq) values (?, ?, ?, ?, ?)').run(pk.pickupId, pk.orderNo, pk.seller.id, pk.at, seq);
      return true;
    });
  }

  pickupOf(orderNo: string): { pickupId: string; at: number } | undefined {
    return this.db.prepare('select pickup_id pickupId, at from hub_pickups where order_no = ?').get(orderNo) as { pickupId: string; at: number } | undefined;
  }

  /** Orders sold here, newest first, made on or after `fromMs` (the window's list). */
  recentOrders(fromMs: number, limit: number): OrderRow[] {
    return (this.db.prepare("select id from hub_orders where json_extract(body, '$.at') >= ? order by seq desc limit ?").all(fromMs, limit) as { id: string }[]).map((r) => this.order(r.id)!);
  }

  /** Records a print of a ticket; returns its number (1 = first print). */
  addPrint(ticketId: string, userId: string, at: number, reason: string | undefined, needReason: () => never): number {
    return this.tx(() => {
      const n = (this.db.prepare('select count(*) n from hub_prints where ticket_id = ?').get(ticketId) as { n: number }).n + 1;
      if (n > 1 && !reason) needReason();
      this.db.prepare('insert into hub_prints (ticket_id, print_no, user_id, at, reason) values (?, ?, ?, ?, ?)').run(ticketId, n, userId, at, reason ?? null);
      return n;
    });
  }

  /** The order a ticket of this hub belongs to. */
  orderOfTicket(ticketId: string): OrderRow | undefined {
    const r = this.db.prepare("select o.id from hub_orders o, json_each(o.body, '$.lines') l, json_each(l.value, '$.tickets') t where json_extract(t.value, '$.id') = ?").get(ticketId) as { id: string } | undefined;
    return r && this.order(r.id);
  }

  /**
   * Tickets the hub refunded that are still valid at `now` (ms), with the refund's time: the
   * site's gates refuse them from the hub's own pages before HQ has heard of the refund.
   */
  refundedTickets(now: number): string[] {
    return (this.db.prepare(`select distinct json_extract(t.value, '$.id') id from hub_orders o, json_each(o.body, '$.lines') l, json_each(l.value, '$.tickets') t
      where o.refund is not null and json_extract(t.value, '$.validUntil') > ? order by 1`).all(now) as { id: string }[]).map((r) => r.id);
  }

  startSession(token: string, userId: string, expiresAt: number): void {
    this.db.prepare('insert into hub_sessions (token_hash, user_id, expires_at) values (?, ?, ?)').run(tokenHash(token), userId, expiresAt);
  }

  session(token: string, now: number): { userId: string; expiresAt: number } | undefined {
    return this.db.prepare('select user_id userId, expires_at expiresAt from hub_sessions where token_hash = ? and ended_at is null and expires_at > ?').get(tokenHash(token), now) as
      { userId: string; expiresAt: number } | undefined;
  }

  endSession(token: string, now: number): void {
    this.db.prepare('update hub_sessions set ended_at = ? where token_hash = ?').run(now, tokenHash(token));
  }
}

/** Only the token's hash is kept, as at HQ: a copy of hub.sqlite gives no live session. */
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
