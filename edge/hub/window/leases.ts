import type Database from 'better-sqlite3';
import type { HubKit } from '../../../shared/hub/journal.ts';
import type { LeaseAsk, LeaseGrant, LeaseKind } from '../../../shared/hub/lease.ts';
import { addDays, businessDay, wallClock } from '../../../shared/time/zone.ts';
import { HubError } from './errors.ts';

export interface LeaseRow { kind: LeaseKind; ref: number; day: string; granted: number; returned: number; sold: number; want: number; limited: boolean | null }
export interface LeasePolicy { target: number; days: number; /** Persons per time slot (default: target). */ slotTarget?: number }
export type KitSlot = NonNullable<HubKit['slots']>[number];

const hhmm = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/**
 * The capacity HQ leased this hub (cloud/hub-sales/leases.ts), in hub.sqlite. On a day HQ
 * limits (the kit says so), a sale takes its persons from the lease in the sale's own
 * transaction, and is refused when the lease is short: the hub never sells places HQ did not
 * hold for it, so HQ and the hub together never sell past capacity, line or no line. Places
 * given back are counted here before HQ hears of it, so they are never sold after. A refund
 * does not refill the lease: HQ takes the places back into its pool when the refund arrives,
 * and the hub asks again. The only code that writes hub_leases.
 *
 * Time slots (kind 'slot', `ref` HQ's slot id): the same, per slot. A sale on a day sold by
 * slot takes its persons from the lease of its slot too; a slot that is over gives back what
 * it holds unsold at the next exchange.
 */
export class LeaseBook {
  /** `now`: HQ's clock as the hub knows it (which slots are over). */
  constructor(private readonly db: Database.Database, private readonly now: () => number = Date.now) {}

  /** The lease of a type on a day, or of a slot (undefined: never asked). */
  get(ref: number, day: string, kind: LeaseKind = 'day'): LeaseRow | undefined {
    const r = this.db.prepare('select kind, ref, day, granted, returned, sold, want, limited from hub_leases where kind = ? and ref = ? and day = ?').get(kind, ref, day) as
      (Omit<LeaseRow, 'limited'> & { limited: number | null }) | undefined;
    return r && { ...r, limited: r.limited === null ? null : r.limited === 1 };
  }

  all(fromDay: string): LeaseRow[] {
    return (this.db.prepare('select kind, ref, day from hub_leases where day >= ? order by day, kind, ref').all(fromDay) as { kind: LeaseKind; ref: number; day: string }[])
      .map((r) => this.get(r.ref, r.day, r.kind)!);
  }

  /**
   * Takes a sale's persons from the lease of its time slot, or throws `lease_exhausted`.
   * Call it in the sale's transaction (with take()).
   */
  takeSlot(slot: KitSlot, persons: number): void {
    const row = this.get(slot.id, slot.day, 'slot');
    const left = row ? row.granted - row.returned - row.sold : 0;
    if (left < persons) {
      throw new HubError('lease_exhausted', `the hub holds ${left} places of the ${slot.from}-${slot.to} slot on ${slot.day}, ${persons} asked`, 409,
        { type: `${slot.from}-${slot.to}`, day: slot.day, left, asked: persons, ref: slot.id, kind: 'slot' });
    }
    this.db.prepare("update hub_leases set sold = sold + ?, want = 0 where kind = 'slot' and ref = ? and day = ?").run(persons, slot.id, slot.day);
  }

  /**
   * Takes the persons of a sale's lines from the leases of their day, or throws
   * `lease_exhausted` (the caller notes the demand, outside the sale's transaction). Call it
   * in the sale's transaction. A day the kit does not limit needs no lease. Returns the types
   * sold inside a lease.
   */
  take(kit: HubKit, day: string, lines: { typeId: number; typeCode: string; persons: number }[]): Set<number> {
    const perType = new Map<number, { code: string; persons: number }>();
    for (const l of lines) perType.set(l.typeId, { code: l.typeCode, persons: (perType.get(l.typeId)?.persons ?? 0) + l.persons });
    const leased = new Set<number>();
    for (const [ref, { code, persons }] of perType) {
      const capacity = kit.types.find((t) => t.id === ref)?.capacity?.[day];
      if (capacity === undefined || capacity === null) continue;
      const row = this.get(ref, day);
      const left = row ? row.granted - row.returned - row.sold : 0;
      if (left < persons) throw new HubError('lease_exhausted', `the hub holds ${left} places of ${code} on ${day}, ${persons} asked`, 409, { type: code, day, left, asked: persons, ref, kind: 'day' });
      leased.add(ref);
    }
    for (const [ref, { persons }] of perType) {
      // A sale that found room ends what a refused one asked for.
      if (leased.has(ref)) this.db.prepare("update hub_leases set sold = sold + ?, want = 0 where kind = 'day' and ref = ? and day = ?").run(persons, ref, day);
    }
    return leased;
  }

  /** A sale found the lease short: ask HQ for that much more (and the target) at the next exchange. */
  demand(ref: number, day: string, want: number, kind: LeaseKind = 'day'): void {
    this.db.prepare('insert into hub_leases (kind, ref, day, want) values (?, ?, ?, ?) on conflict (kind, ref, day) do update set want = max(want, excluded.want)').run(kind, ref, day, want);
  }

  /**
   * What to tell HQ: each limited type on the next days (and any day a sale asked for), how
   * many places the hub would like in hand, what it gave back and sold. What is over twice
   * the target is given back here, before it is said, so it can never be sold after.
   */
  asks(kit: HubKit, today: string, policy: LeasePolicy): LeaseAsk[] {
    return this.db.transaction(() => {
      const ensure = this.db.prepare("insert into hub_leases (kind, ref, day) values ('day', ?, ?) on conflict do nothing");
      const ensureSlot = this.db.prepare("insert into hub_leases (kind, ref, day) values ('slot', ?, ?) on conflict do nothing");
      const lastDay = addDays(today, policy.days - 1);
      for (let i = 0; i < policy.days; i++) {
        const day = addDays(today, i);
        for (const t of kit.types) if (t.active && t.capacity?.[day] !== undefined && t.capacity[day] !== null) ensure.run(t.id, day);
      }
      // The slots of the venues the hub sells, on the days it keeps leases for, not yet over.
      const venues = new Set(kit.types.filter((t) => t.active).map((t) => t.slotVenue).filter((v) => v !== undefined));
      const over = this.slotOver(kit);
      for (const sl of kit.slots ?? []) if (venues.has(sl.venue) && sl.day <= lastDay && !over(sl)) ensureSlot.run(sl.id, sl.day);
      const slots = new Map((kit.slots ?? []).map((sl) => [sl.id, sl]));
      const out: LeaseAsk[] = [];
      for (const r of this.all(today)) {
        if (r.limited === false && r.want === 0) continue;
        const target = r.kind === 'slot' ? policy.slotTarget ?? policy.target : policy.target;
        // A slot that is over (or gone from HQ's slots) needs nothing more: all it holds goes back.
        const done = r.kind === 'slot' && (!slots.has(r.ref) || over(slots.get(r.ref)!));
        const want = done ? 0 : r.want > 0 ? r.want + target : target;
        const left = r.granted - r.returned - r.sold;
        let returned = r.returned;
        if (done && r.granted === 0) continue; // never held a place: nothing to say
        if (left > 2 * want) {
          returned += left - want;
          this.db.prepare('update hub_leases set returned = ? where kind = ? and ref = ? and day = ?').run(returned, r.kind, r.ref, r.day);
        }
        out.push({ kind: r.kind, ref: r.ref, day: r.day, want, returned, sold: r.sold });
      }
      return out;
    })();
  }

  /** HQ's answer: its counters only grow, so the larger of each is the truth. */
  apply(grants: LeaseGrant[]): void {
    // A demand met is forgotten (the right-hand sides read the row as it was).
    const st = this.db.prepare(`update hub_leases set granted = max(granted, @granted), returned = max(returned, @returned), limited = @limited,
      want = case when max(granted, @granted) - max(returned, @returned) - sold >= want then 0 else want end where kind = @kind and ref = @ref and day = @day`);
    this.db.transaction(() => { for (const g of grants) st.run({ granted: g.granted, returned: g.returned, limited: g.limited ? 1 : 0, kind: g.kind, ref: g.ref, day: g.day }); })();
  }

  /** For /health and the hub's state: what it holds per type and day, and per slot, from today. */
  summary(today: string, kit?: HubKit): { kind: LeaseKind; ref: number; day: string; held: number; sold: number; left: number; slot?: string }[] {
    const slots = new Map((kit?.slots ?? []).map((sl) => [sl.id, sl]));
    return this.all(today).filter((r) => r.limited !== false).map((r) => {
      const sl = r.kind === 'slot' ? slots.get(r.ref) : undefined;
      return { kind: r.kind, ref: r.ref, day: r.day, held: r.granted - r.returned, sold: r.sold, left: r.granted - r.returned - r.sold, ...(sl ? { slot: `${sl.from}-${sl.to}` } : {}) };
    });
  }

  /** Whether a slot is over by HQ's clock (its end passed on its day, or its day passed). */
  private slotOver(kit: HubKit): (sl: KitSlot) => boolean {
    const now = this.now();
    const today = businessDay(now, kit.timeZone);
    const w = wallClock(now, kit.timeZone);
    const minute = w.hour * 60 + w.minute;
    return (sl) => sl.day < today || (sl.day === today && hhmm(sl.to) <= minute);
  }
}
