import type Database from 'better-sqlite3';
import type { HubKit } from '../../../shared/hub/journal.ts';
import type { LeaseAsk, LeaseGrant } from '../../../shared/hub/lease.ts';
import { addDays } from '../../../shared/time/zone.ts';
import { HubError } from './errors.ts';

export interface LeaseRow { kind: 'day'; ref: number; day: string; granted: number; returned: number; sold: number; want: number; limited: boolean | null }
export interface LeasePolicy { target: number; days: number }

/**
 * The capacity HQ leased this hub (cloud/hub-sales/leases.ts), in hub.sqlite. On a day HQ
 * limits (the kit says so), a sale takes its persons from the lease in the sale's own
 * transaction, and is refused when the lease is short: the hub never sells places HQ did not
 * hold for it, so HQ and the hub together never sell past capacity, line or no line. Places
 * given back are counted here before HQ hears of it, so they are never sold after. A refund
 * does not refill the lease: HQ takes the places back into its pool when the refund arrives,
 * and the hub asks again. The only code that writes hub_leases.
 */
export class LeaseBook {
  constructor(private readonly db: Database.Database) {}

  /** The lease of a type on a day (undefined: never asked). */
  get(ref: number, day: string): LeaseRow | undefined {
    const r = this.db.prepare("select kind, ref, day, granted, returned, sold, want, limited from hub_leases where kind = 'day' and ref = ? and day = ?").get(ref, day) as
      (Omit<LeaseRow, 'limited'> & { limited: number | null }) | undefined;
    return r && { ...r, limited: r.limited === null ? null : r.limited === 1 };
  }

  all(fromDay: string): LeaseRow[] {
    return (this.db.prepare("select ref, day from hub_leases where kind = 'day' and day >= ? order by day, ref").all(fromDay) as { ref: number; day: string }[]).map((r) => this.get(r.ref, r.day)!);
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
      if (left < persons) throw new HubError('lease_exhausted', `the hub holds ${left} places of ${code} on ${day}, ${persons} asked`, 409, { type: code, day, left, asked: persons, ref });
      leased.add(ref);
    }
    for (const [ref, { persons }] of perType) {
      // A sale that found room ends what a refused one asked for.
      if (leased.has(ref)) this.db.prepare("update hub_leases set sold = sold + ?, want = 0 where kind = 'day' and ref = ? and day = ?").run(persons, ref, day);
    }
    return leased;
  }

  /** A sale found the lease short: ask HQ for that much more (and the target) at the next exchange. */
  demand(ref: number, day: string, want: number): void {
    this.db.prepare("insert into hub_leases (kind, ref, day, want) values ('day', ?, ?, ?) on conflict (kind, ref, day) do update set want = max(want, excluded.want)").run(ref, day, want);
  }

  /**
   * What to tell HQ: each limited type on the next days (and any day a sale asked for), how
   * many places the hub would like in hand, what it gave back and sold. What is over twice
   * the target is given back here, before it is said, so it can never be sold after.
   */
  asks(kit: HubKit, today: string, policy: LeasePolicy): LeaseAsk[] {
    return this.db.transaction(() => {
      const ensure = this.db.prepare("insert into hub_leases (kind, ref, day) values ('day', ?, ?) on conflict do nothing");
      for (let i = 0; i < policy.days; i++) {
        const day = addDays(today, i);
        for (const t of kit.types) if (t.active && t.capacity?.[day] !== undefined && t.capacity[day] !== null) ensure.run(t.id, day);
      }
      const out: LeaseAsk[] = [];
      for (const r of this.all(today)) {
        if (r.limited === false && r.want === 0) continue;
        const want = r.want > 0 ? r.want + policy.target : policy.target;
        const left = r.granted - r.returned - r.sold;
        let returned = r.returned;
        if (left > 2 * want) {
          returned += left - want;
          this.db.prepare("update hub_leases set returned = ? where kind = 'day' and ref = ? and day = ?").run(returned, r.ref, r.day);
        }
        out.push({ kind: 'day', ref: r.ref, day: r.day, want, returned, sold: r.sold });
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

  /** For /health and the hub's state: what it holds per type and day from today. */
  summary(today: string): { ref: number; day: string; held: number; sold: number; left: number }[] {
    return this.all(today).filter((r) => r.limited !== false).map((r) => ({ ref: r.ref, day: r.day, held: r.granted - r.returned, sold: r.sold, left: r.granted - r.returned - r.sold }));
  }
}
