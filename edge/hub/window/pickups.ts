import type Database from 'better-sqlite3';
import { z } from 'zod';
import { lookupHash, normaliseLookup, PHONE } from '../../../shared/booking/lookup.ts';
import type { HubKit } from '../../../shared/hub/journal.ts';
import type { BookingRow } from '../../../shared/sync/messages.ts';
import { businessDay, startOfBusinessDay } from '../../../shared/time/zone.ts';
import type { SaleBook } from './book.ts';
import { HubError } from './errors.ts';
import type { KitUser } from './sell.ts';

/** HQ's lookup query (cloud/channels/pickup.ts lookupQuery), so the same window page finds bookings here. */
export const hubLookupQuery = z.object({
  order: z.string().min(1).max(40).optional(),
  phone: z.string().min(4).max(20).optional(),
  id: z.string().min(15).max(20).optional(),
  code: z.string().min(1).max(400).optional(),
}).refine((q) => q.id || q.code || q.phone, { message: 'give order and phone, or phone, or id, or code' });

export const hubPickupRequest = z.object({
  pickupId: z.string().regex(/^[A-Za-z0-9_.:-]{8,80}$/),
  orderNo: z.string().min(1).max(40),
  device: z.string().optional(),
  site: z.string().optional(),
}).strict();

/**
 * Pickup (取票) of online and OTA bookings at the hub's windows, from the hub's copy of HQ's
 * change log (HQ publishes each paid booking of the site there, as it does for the kiosks):
 * the window finds and hands out a booking with the line up or down, the same way, deciding
 * from the copy. The pickup goes into the hub's journal and reaches HQ as an entry, recorded
 * once by its pickup id (cloud/hub-sales/record.ts recordHubPickup). The hub never hands out
 * a booking twice itself; a booking also handed out at HQ during an outage is kept at HQ as
 * a flagged duplicate (see edge/hub/README.md).
 */
export class PickupDesk {
  constructor(private readonly db: Database.Database, private readonly book: SaleBook) {}

  /** The newest state of each booking in the copy that `match` accepts. */
  private bookings(match: (b: BookingRow) => boolean): BookingRow[] {
    const newest = new Map<string, BookingRow>();
    for (const r of this.db.prepare("select body from changes where kind = 'booking' order by seq").all() as { body: string }[]) {
      const b = (JSON.parse(r.body) as { booking: BookingRow }).booking;
      newest.set(b.orderNo, b);
    }
    return [...newest.values()].filter(match);
  }

  lookup(kit: HubKit, now: number, q: z.infer<typeof hubLookupQuery>) {
    const today = businessDay(now, kit.timeZone);
    let match: (b: BookingRow) => boolean;
    if (q.code) {
      const code = q.code.trim();
      match = (b) => b.pickupCode === code || b.tickets.some((t) => t.code === code);
    } else if (q.id) {
      const h = lookupHash('id', q.id);
      match = (b) => b.idHash === h && b.visitDay >= today;
    } else {
      if (!PHONE.test(normaliseLookup('phone', q.phone!))) throw new HubError('invalid_phone', 'not a valid mobile number', 422);
      const h = lookupHash('phone', q.phone!);
      match = q.order ? (b) => b.orderNo === q.order && b.phoneHash === h : (b) => b.phoneHash === h && b.visitDay >= today;
    }
    return this.bookings(match).slice(0, 20).map((b) => this.view(kit, b));
  }

  /** Hands a booking out here: refused when it is not paid, cancelled, or handed out already (here, or at HQ as the copy says). */
  pickUp(kit: HubKit, user: KitUser, now: number, offline: boolean, input: unknown) {
    const p = hubPickupRequest.parse(input);
    const [b] = this.bookings((x) => x.orderNo === p.orderNo);
    if (!b) throw new HubError('not_found', `booking not found: ${p.orderNo}`, 404, { what: 'booking', id: p.orderNo });
    const mine = this.book.pickupOf(b.orderNo);
    if (mine && mine.pickupId === p.pickupId) return { pickupId: p.pickupId, orderNo: b.orderNo, result: 'picked_up', booking: this.view(kit, b) };
    if (mine || b.state === 'picked_up') throw new HubError('already_picked_up', 'tickets already picked up', 409);
    if (b.state === 'cancelled') throw new HubError('booking_cancelled', 'the booking was cancelled', 409);
    if (b.visitDay < businessDay(now, kit.timeZone)) throw new HubError('not_found', `booking ${b.orderNo} is for a past day`, 404, { what: 'booking', id: b.orderNo });
    if (!this.book.addPickup({ pickupId: p.pickupId, orderNo: b.orderNo, seller: { id: user.id, username: user.username }, at: now, offline })) {
      throw new HubError('already_picked_up', 'tickets already picked up', 409);
    }
    return { pickupId: p.pickupId, orderNo: b.orderNo, result: 'picked_up', booking: this.view(kit, b) };
  }

  /** A ticket of a booking handed out here, for printing it. */
  ticket(kit: HubKit, ticketId: string) {
    const [b] = this.bookings((x) => x.tickets.some((t) => t.id === ticketId));
    if (!b || !this.book.pickupOf(b.orderNo)) return undefined;
    const t = b.tickets.find((x) => x.id === ticketId)!;
    return { booking: b, ticket: t, validFrom: startOfBusinessDay(b.visitDay, kit.timeZone), validUntil: b.validUntil * 1000 };
  }

  /** The booking as HQ's window sees it (cloud/channels/schemas.ts bookingView); what the copy does not carry is left empty. */
  private view(kit: HubKit, b: BookingRow) {
    const mine = this.book.pickupOf(b.orderNo);
    const code = (typeId: number) => kit.types.find((t) => t.id === typeId)?.code ?? String(typeId);
    const items = new Map<string, number>();
    for (const t of b.tickets) items.set(code(t.typeId), (items.get(code(t.typeId)) ?? 0) + 1);
    const validFrom = new Date(startOfBusinessDay(b.visitDay, kit.timeZone)).toISOString();
    return {
      orderNo: b.orderNo, channel: '', externalRef: null, site: kit.site, visitDay: b.visitDay, slot: null,
      state: mine ? 'picked_up' as const : b.state, contact: { name: b.contactName, phoneLast4: b.phoneLast4 },
      items: [...items].map(([type, quantity]) => ({ type, quantity, unitPriceFen: 0 })), quantity: b.tickets.length, totalFen: 0, pickupCode: b.pickupCode,
      holdUntil: null, paidAt: null, cancelledAt: null, pickedUpAt: mine ? new Date(mine.at).toISOString() : null,
      tickets: b.tickets.map((t) => ({ id: t.id, type: code(t.typeId), code: t.code, persons: t.persons, validFrom, validUntil: new Date(b.validUntil * 1000).toISOString(), revoked: null })),
    };
  }
}
