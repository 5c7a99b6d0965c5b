import { randomUUID } from 'node:crypto';
import { PrinterError } from '../../shared/print/errors.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import { lookupHash, normaliseLookup, PHONE } from '../../shared/booking/lookup.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { isValidIdNumber } from '../../shared/rules/credential.ts';
import { businessDay } from '../../shared/time/zone.ts';
import type { KioskConfig } from './config.ts';
import { KioskError } from './errors.ts';
import { HqRefused, HqUnreachable, type HqClient } from '../agent/hq.ts';
import { ticketJob, type PrintTicket } from './print.ts';
import type { CachedBooking, KioskStore, SaleRow, TypeRow } from './store.ts';

/** How a visitor asks for their booking. */
export type FindQuery =
  | { by: 'order'; order: string; phone: string }
  | { by: 'code'; code: string }
  | { by: 'id'; idNumber: string };

interface Found {
  orderNo: string;
  visitDay: string;
  state: string;
  contactName: string;
  phoneLast4: string;
  source: 'hq' | 'cache';
  tickets: PrintTicket[];
}

/** What the screen shows of a booking found: never the phone or ID number. */
export interface FoundView {
  token: string;
  orderNo: string;
  visitDay: string;
  contactName: string;
  phoneLast4: string;
  tickets: number;
  persons: number;
  types: { name: string; quantity: number }[];
  /** A pickup here was cut short (printer): confirming prints the rest. */
  resume: boolean;
  printed: number;
  source: 'hq' | 'cache';
}

const SESSION_MS = 10 * 60_000;

/** Masks a name for the screen: 张三 -> 张*, Smith -> S****. */
const mask = (name: string) => {
  const chars = [...name];
  return chars.length <= 1 ? name : chars[0] + '*'.repeat(Math.min(chars.length - 1, 4));
};

/**
 * The kiosk's work: find bookings (HQ first, the cache when HQ is out of reach), print their
 * tickets, record pickups; self-service sales paid through HQ's payment provider. Nothing is
 * marked picked up before a ticket has come out of the printer, and no ticket is printed twice.
 */
export class Kiosk {
  private readonly sessions = new Map<string, { found: Found; until: number }>();
  private readonly busy = new Set<string>();

  constructor(private readonly o: {
    config: KioskConfig; store: KioskStore; hq: HqClient; printer: PrinterPort; log: Logger;
    now: () => number; newId?: () => string;
    /** A pickup was queued for HQ. */
    onQueued?: () => void;
  }) {}

  private today(): string {
    return businessDay(this.o.now(), this.o.config.timeZone);
  }

  private id(): string {
    return (this.o.newId ?? randomUUID)();
  }

  // ---------------- pickup ----------------

  /** Finds the visitor's bookings; each pickable one gets a token to confirm with. */
  async find(q: FindQuery): Promise<{ bookings: FoundView[]; source: 'hq' | 'cache' }> {
    const query = this.checkQuery(q);
    let found: Found[];
    let source: 'hq' | 'cache' = 'hq';
    try {
      found = await this.findAtHq(query);
    } catch (err) {
      if (!(err instanceof HqUnreachable)) throw err;
      this.o.log.info({ err: err.message }, 'HQ out of reach: looking in the cache');
      source = 'cache';
      found = this.findInCache(query);
    }
    if (!found.length) throw new KioskError('not_found');
    const views: FoundView[] = [];
    let refusal: KioskError | undefined;
    for (const f of found) {
      const problem = this.problemOf(f);
      if (problem) {
        refusal ??= new KioskError(problem, { orderNo: f.orderNo });
        continue;
      }
      views.push(this.open(f));
    }
    if (!views.length) throw refusal!;
    return { bookings: views, source };
  }

  private checkQuery(q: FindQuery): FindQuery {
    if (q.by === 'order') {
      const phone = normaliseLookup('phone', q.phone);
      if (!PHONE.test(phone)) throw new KioskError('invalid_phone');
      const order = q.order.trim().toUpperCase();
      if (!/^[A-Z0-9-]{4,40}$/.test(order)) throw new KioskError('not_found');
      return { by: 'order', order, phone };
    }
    if (q.by === 'id') {
      const idNumber = normaliseLookup('id', q.idNumber);
      if (!isValidIdNumber(idNumber)) throw new KioskError('invalid_id_number');
      return { by: 'id', idNumber };
    }
    const code = q.code.trim();
    if (!/^[\x21-\x7e]{4,400}$/.test(code)) throw new KioskError('not_found');
    return { by: 'code', code };
  }

  private async findAtHq(q: FindQuery): Promise<Found[]> {
    const params: Record<string, string> = q.by === 'order' ? { order: q.order, phone: q.phone } : q.by === 'id' ? { id: q.idNumber } : { code: q.code };
    let list: any[];
    try {
      list = (await this.o.hq.call<{ bookings: any[] }>('GET', `/api/v1/sync/kiosk/bookings?${new URLSearchParams(params)}`)).body.bookings;
    } catch (err) {
      if (err instanceof HqRefused) {
        if (err.code === 'invalid_phone') throw new KioskError('invalid_phone');
        if (err.status === 404) return [];
        // HQ refuses the kiosk itself (credential, route): the cache still knows today's bookings.
        throw new HqUnreachable(`HQ refused the lookup: ${err.code}`);
      }
      throw err;
    }
    const types = new Map(this.o.store.types().map((t) => [t.code, t]));
    return list.map((b) => {
      // HQ's word is the newest: the cache follows, so a lookup offline later agrees.
      this.o.store.setBookingState(b.orderNo, b.state);
      return {
        orderNo: b.orderNo, visitDay: b.visitDay, state: b.state, contactName: b.contact?.name ?? '', phoneLast4: b.contact?.phoneLast4 ?? '',
        source: 'hq' as const,
        tickets: (b.tickets as any[]).filter((t) => !t.revoked).map((t) => {
          const type = types.get(t.type);
          return {
            ticketId: t.id, code: t.code, typeId: type?.typeId, typeName: type?.name, persons: t.persons,
            validFrom: Date.parse(t.validFrom), validUntil: Date.parse(t.validUntil),
          };
        }),
      };
    });
  }

  private findInCache(q: FindQuery): Found[] {
    const s = this.o.store;
    const today = this.today();
    const rows: CachedBooking[] = q.by === 'order' ? s.byOrderAndPhone(q.order, lookupHash('phone', q.phone))
      : q.by === 'id' ? s.byIdHash(lookupHash('id', q.idNumber), today)
        : s.byCode(q.code);
    const types = new Map(s.types().map((t) => [t.typeId, t]));
    return rows.map((b) => ({
      orderNo: b.orderNo, visitDay: b.visitDay, state: b.state, contactName: b.contactName, phoneLast4: b.phoneLast4, source: 'cache' as const,
      tickets: b.tickets.map((t) => ({ ticketId: t.ticketId, code: t.code, typeId: t.typeId, typeName: types.get(t.typeId)?.name, persons: t.persons })),
    }));
  }

  /** Why this booking cannot be picked up here now, if it cannot. */
  private problemOf(f: Found): 'already_picked_up' | 'booking_cancelled' | 'not_paid' | 'not_today' | undefined {
    const mine = this.o.store.pickupsOf(f.orderNo);
    if (mine.some((p) => p.state === 'printing')) return undefined; // ours, cut short: resume
    if (mine.length || f.state === 'picked_up') return 'already_picked_up';
    if (f.state === 'cancelled') return 'booking_cancelled';
    if (f.state !== 'issued') return 'not_paid';
    if (f.visitDay !== this.today()) return 'not_today';
    if (!f.tickets.length) return 'not_paid';
    return undefined;
  }

  private open(f: Found): FoundView {
    const now = this.o.now();
    for (const [k, v] of this.sessions) if (v.until < now) this.sessions.delete(k);
    const token = this.id();
    this.sessions.set(token, { found: f, until: now + SESSION_MS });
    const open = this.o.store.pickupsOf(f.orderNo).find((p) => p.state === 'printing');
    const byType = new Map<string, number>();
    for (const t of f.tickets) byType.set(t.typeName ?? '门票', (byType.get(t.typeName ?? '门票') ?? 0) + 1);
    return {
      token, orderNo: f.orderNo, visitDay: f.visitDay, contactName: mask(f.contactName), phoneLast4: f.phoneLast4,
      tickets: f.tickets.length, persons: f.tickets.reduce((n, t) => n + t.persons, 0),
      types: [...byType].map(([name, quantity]) => ({ name, quantity })),
      resume: open !== undefined, printed: open ? (JSON.parse(open.printed) as string[]).length : 0, source: f.source,
    };
  }

  /**
   * Prints the booking's tickets, one job each, and records the pickup. The pickup is stored
   * before the first job and every printed ticket right after its job, so a printer that
   * stops (out of paper) leaves a pickup that resumes with the tickets not yet printed.
   */
  async confirm(token: string): Promise<{ orderNo: string; printed: number; total: number }> {
    const s = this.sessions.get(token);
    if (!s || s.until < this.o.now()) throw new KioskError('expired_session');
    const f = s.found;
    const problem = this.problemOf(f);
    if (problem) {
      this.sessions.delete(token);
      throw new KioskError(problem, { orderNo: f.orderNo });
    }
    return this.exclusive(f.orderNo, async () => {
      const p = this.o.store.beginPickup({ pickupId: this.id(), orderNo: f.orderNo, total: f.tickets.length, source: f.source });
      let printed = JSON.parse(p.printed) as string[];
      for (const t of f.tickets) {
        if (printed.includes(t.ticketId)) continue;
        await this.printOne(t, f.orderNo, { printed: printed.length, total: f.tickets.length, orderNo: f.orderNo });
        const first = printed.length === 0;
        printed = JSON.parse(this.o.store.ticketPrinted(p.pickupId, t.ticketId, this.o.config.site).printed) as string[];
        if (first) this.o.onQueued?.();
      }
      this.sessions.delete(token);
      this.o.log.info({ orderNo: f.orderNo, pickupId: p.pickupId, tickets: printed.length, source: f.source }, 'booking picked up');
      return { orderNo: f.orderNo, printed: printed.length, total: f.tickets.length };
    });
  }

  private async printOne(t: PrintTicket, orderNo: string, progress: Record<string, unknown>): Promise<void> {
    const job = await ticketJob(this.o.store, t, { orderNo, siteName: this.o.config.siteName, timeZone: this.o.config.timeZone, now: this.o.now() });
    try {
      await this.o.printer.print(job);
    } catch (err) {
      const code = err instanceof PrinterError ? err.code : 'printer_error';
      this.o.log.warn({ code, err: (err as Error).message, ticket: t.ticketId, ...progress }, 'printing stopped');
      throw new KioskError(code === 'paper_out' ? 'paper_out' : 'printer_unavailable', { printer: code, ...progress }, (err as Error).message);
    }
  }

  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(key)) throw new KioskError('busy');
    this.busy.add(key);
    try {
      return await fn();
    } finally {
      this.busy.delete(key);
    }
  }

  // ---------------- self-service sale ----------------

  /** Types on sale, fresh from HQ: a sale needs HQ (tickets are signed there). */
  async saleTypes(): Promise<TypeRow[]> {
    try {
      const types = (await this.o.hq.call<{ types: TypeRow[] }>('GET', '/api/v1/sync/kiosk/types')).body.types;
      this.o.store.setTypes(types);
      return types;
    } catch (err) {
      if (err instanceof HqUnreachable || err instanceof HqRefused) throw new KioskError('sale_unavailable', {}, err.message);
      throw err;
    }
  }

  /** Starts a sale: its attempt id is stored before anything is charged. */
  async startSale(items: { type: string; quantity: number }[]): Promise<{ attemptId: string; amountFen: number; items: { type: string; name: string; quantity: number; priceFen: number }[] }> {
    const types = new Map((await this.saleTypes()).map((t) => [t.code, t]));
    const clean = items.filter((i) => i.quantity > 0);
    if (!clean.length || clean.some((i) => !types.has(i.type) || !Number.isInteger(i.quantity) || i.quantity > 20)) throw new KioskError('invalid_request');
    if (new Set(clean.map((i) => i.type)).size !== clean.length) throw new KioskError('invalid_request');
    const amountFen = clean.reduce((s, i) => s + types.get(i.type)!.priceFen * i.quantity, 0);
    const attemptId = this.id();
    this.o.store.createSale({ attemptId, items: clean, amountFen });
    return { attemptId, amountFen, items: clean.map((i) => ({ ...i, name: types.get(i.type)!.name, priceFen: types.get(i.type)!.priceFen })) };
  }

  /**
   * Pays an attempt with the visitor's payment code, then prints. Every retry of one attempt
   * sends the same attempt id, which HQ and the provider treat as one charge; a paid attempt
   * is never sent again, only its unprinted tickets are printed.
   */
  async paySale(attemptId: string, authCode: string): Promise<{ attemptId: string; state: string; printed: number; total: number; amountFen: number }> {
    return this.exclusive(`sale:${attemptId}`, async () => {
      let sale = this.o.store.sale(attemptId);
      if (!sale) throw new KioskError('expired_session');
      if (sale.state === 'failed') {
        const known = ['price_changed', 'sold_out', 'paid_not_issued'] as const;
        throw new KioskError(known.find((k) => k === sale!.error) ?? 'payment_failed', { attemptId });
      }
      if (sale.state === 'new') {
        if (!/^\d{10,32}$/.test(authCode)) throw new KioskError('invalid_request');
        sale = await this.charge(sale, authCode);
      }
      return this.printSale(sale);
    });
  }

  private async charge(sale: SaleRow, authCode: string): Promise<SaleRow> {
    const items = JSON.parse(sale.items) as { type: string; quantity: number }[];
    try {
      const res = await this.o.hq.call<{ state: string; tickets?: any[] }>('POST', '/api/v1/sync/kiosk/sales', { attemptId: sale.attemptId, items, amountFen: sale.amountFen, authCode }, Math.max(this.o.config.hqTimeoutMs, 10_000));
      if (res.status === 202 || res.body.state !== 'paid') throw new KioskError('payment_pending', { attemptId: sale.attemptId });
      const tickets: PrintTicket[] = res.body.tickets!.map((t) => ({
        ticketId: t.id, code: t.code, typeId: t.typeId, typeName: t.typeName, priceFen: t.priceFen, persons: t.persons, entries: t.entries,
        validFrom: Date.parse(t.validFrom), validUntil: Date.parse(t.validUntil),
      }));
      this.o.log.info({ attemptId: sale.attemptId, amountFen: sale.amountFen, tickets: tickets.length }, 'sale paid');
      return this.o.store.updateSale(sale.attemptId, { state: 'paid', tickets: JSON.stringify(tickets), error: null });
    } catch (err) {
      if (err instanceof HqRefused) {
        const code = (['payment_failed', 'price_changed', 'sold_out', 'paid_not_issued'] as const).find((k) => k === err.code) ?? 'payment_failed';
        // Refused before anything was charged, the charge declined, or (paid_not_issued) charged
        // without tickets, for staff to refund: either way this attempt is over.
        this.o.store.updateSale(sale.attemptId, { state: 'failed', error: code });
        throw new KioskError(code, { attemptId: sale.attemptId }, err.message);
      }
      if (err instanceof HqUnreachable) {
        // Unknown whether the charge went through: the attempt stays open and a retry asks again with the same id.
        this.o.store.updateSale(sale.attemptId, { error: 'unreachable' });
        throw new KioskError('sale_unavailable', { attemptId: sale.attemptId }, err.message);
      }
      throw err;
    }
  }

  /** Prints the tickets of a paid sale not printed yet (again after the printer is fixed). */
  async printSale(sale: SaleRow): Promise<{ attemptId: string; state: string; printed: number; total: number; amountFen: number }> {
    const tickets = JSON.parse(sale.tickets ?? '[]') as PrintTicket[];
    let row = sale;
    for (const t of tickets) {
      if ((JSON.parse(row.printed) as string[]).includes(t.ticketId)) continue;
      await this.printOne(t, sale.attemptId.slice(0, 8).toUpperCase(), { attemptId: sale.attemptId, printed: (JSON.parse(row.printed) as string[]).length, total: tickets.length });
      row = this.o.store.saleTicketPrinted(sale.attemptId, t.ticketId);
    }
    return { attemptId: sale.attemptId, state: row.state, printed: (JSON.parse(row.printed) as string[]).length, total: tickets.length, amountFen: sale.amountFen };
  }
}
