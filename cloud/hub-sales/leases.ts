import { and, asc, eq, sql, TransactionRollbackError } from 'drizzle-orm';
import type { DeviceIdentity } from '../../shared/auth/device.ts';
import type { HubOrder } from '../../shared/hub/journal.ts';
import type { LeaseAsk, LeaseGrant } from '../../shared/hub/lease.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { dayCapacity, hubLeases, ticketTypes, timeSlots } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, auditedTx, type Tx } from '../office/audit.ts';
import { releaseCapacity, takeCapacity } from '../office/pricing/pricing.ts';
import { exchangeSlot } from './slot-leases.ts';

/**
 * Capacity leases: HQ holds a share of a day's capacity for each site hub, which sells it
 * while the WAN is down. The rule that keeps the union under capacity: the places a lease
 * holds are counted as sold in HQ's pool (day_capacity.sold) from the moment they are granted,
 * so HQ's own windows, kiosks and channels can never sell them; the hub sells only what it
 * holds; a hub sale inside its lease takes nothing more from the pool when it is uploaded
 * (it was taken at the grant); places given back return to the pool. A refund (at the hub or
 * at HQ) gives the sale's places back to the pool, not to the lease: the hub asks again.
 *
 * Every counter is cumulative, so an exchange is idempotent and an answer lost on the line is
 * repaired by the next exchange.
 */
export async function exchangeLeases(ctx: CloudContext, hub: DeviceIdentity, asks: LeaseAsk[]): Promise<LeaseGrant[]> {
  const out: LeaseGrant[] = [];
  // One transaction per lease, in a fixed order, so two exchanges never lock in opposite order.
  for (const ask of [...asks].sort((a, b) => a.kind.localeCompare(b.kind) || a.ref - b.ref || a.day.localeCompare(b.day))) {
    out.push(await auditedTx(ctx.db, (tx) => (ask.kind === 'slot' ? exchangeSlot(tx, ctx, hub, ask) : exchangeOne(tx, ctx, hub, ask))));
  }
  return out;
}

async function exchangeOne(tx: Tx, ctx: CloudContext, hub: DeviceIdentity, ask: LeaseAsk): Promise<LeaseGrant> {
  const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, ask.ref));
  if (!type) throw new AppError('unknown_type', `ticket type ${ask.ref} is not known at HQ`, 409, { ref: ask.ref });
  const key = { site: hub.site, hub: hub.device, kind: ask.kind, ref: ask.ref, day: ask.day };
  const { where, granted: g0, returned: r0, sold, back } = await lockLease(tx, ctx, key, ask);
  let granted = g0;
  let returned = r0;
  if (back > 0) {
    await releaseCapacity(tx, type.id, ask.day, back);
    returned += back;
  }
  const [cap] = await tx.select().from(dayCapacity).where(and(eq(dayCapacity.typeId, type.id), eq(dayCapacity.day, ask.day)));
  const capacity = cap ? cap.capacity ?? type.dailyCapacity : type.dailyCapacity;
  let took = 0;
  if (capacity !== null) {
    const need = ask.want - Math.max(0, granted - returned - sold);
    const left = Math.max(0, capacity - (cap?.sold ?? 0));
    took = Math.min(need, left);
    if (took > 0) {
      // Taken meanwhile by a sale at HQ (the row was not locked when `left` was read): none now.
      took = await takeCapacity(tx, type, ask.day, took).then(() => took, (err) => {
        if (err instanceof AppError && err.code === 'sold_out') return 0;
        throw err;
      });
      granted += took;
    } else took = 0;
  }
  await tx.update(hubLeases).set({ granted, returned, sold, updatedAt: new Date(ctx.now()) }).where(where);
  if (took || back) {
    await appendAudit(tx, { at: ctx.now(), actor: `hub:${hub.device}`, action: 'hub_lease', subject: `${hub.site}/${hub.device}/${type.code}/${ask.day}`, body: { ...key, type: type.code, took, back, granted, returned, sold } });
  }
  return { kind: ask.kind, ref: ask.ref, day: ask.day, limited: capacity !== null, granted, returned };
}

/**
 * A lease's row, locked, with HQ's counters brought up to what the hub says: `sold` the most
 * either side knows of, `back` what the hub gave back since (never more than the lease holds
 * unsold: an honest hub never asks that). The caller returns `back` to its pool.
 */
export async function lockLease(tx: Tx, ctx: CloudContext, key: { site: string; hub: string; kind: string; ref: number; day: string }, ask: LeaseAsk) {
  const where = and(eq(hubLeases.site, key.site), eq(hubLeases.hub, key.hub), eq(hubLeases.kind, key.kind), eq(hubLeases.ref, key.ref), eq(hubLeases.day, key.day));
  await tx.insert(hubLeases).values({ ...key, updatedAt: new Date(ctx.now()) }).onConflictDoNothing();
  const [row] = await tx.select().from(hubLeases).where(where).for('update');
  const sold = Math.max(row!.sold, ask.sold, row!.recorded);
  const back = Math.min(Math.max(0, ask.returned - row!.returned), Math.max(0, row!.granted - row!.returned - sold));
  return { where, granted: row!.granted, returned: row!.returned, sold, back };
}

/**
 * The places an uploaded hub sale takes: a line sold inside the hub's lease is counted
 * against it (its places were taken from the pool at the grant); anything else is taken from
 * the pool now. Returns the persons per type that found no room (the sale stands: the
 * visitors paid; HQ flags it).
 */
export async function placeHubOrder(tx: Tx, at: { site: string; hub: string }, o: HubOrder): Promise<{ typeId: number; persons: number }[]> {
  const leased = new Map<number, number>();
  const pool = new Map<number, number>();
  for (const l of o.lines) {
    const m = l.leased ? leased : pool;
    m.set(l.typeId, (m.get(l.typeId) ?? 0) + l.persons);
  }
  for (const [typeId, persons] of [...leased].sort((a, b) => a[0] - b[0])) {
    // Within what the lease holds: counted against it; past it (a hub that oversold its own
    // lease), the rest from the pool like a sale without a lease.
    const [row] = await tx.update(hubLeases).set({ recorded: sql`${hubLeases.recorded} + ${persons}`, sold: sql`greatest(${hubLeases.sold}, ${hubLeases.recorded} + ${persons})` })
      .where(and(eq(hubLeases.site, at.site), eq(hubLeases.hub, at.hub), eq(hubLeases.kind, 'day'), eq(hubLeases.ref, typeId), eq(hubLeases.day, o.visitDay),
        sql`${hubLeases.recorded} + ${persons} <= ${hubLeases.granted} - ${hubLeases.returned}`)).returning();
    if (!row) pool.set(typeId, (pool.get(typeId) ?? 0) + persons);
  }
  const short: { typeId: number; persons: number }[] = [];
  for (const [typeId, persons] of [...pool].sort((a, b) => a[0] - b[0])) {
    const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, typeId));
    if (!type) throw new AppError('unknown_type', `ticket type ${typeId} of a hub sale is not known at HQ`, 409);
    const took = await tx.transaction(async (sp) => {
      await takeCapacity(sp, type, o.visitDay, persons);
      return true;
    }).catch((err) => {
      if ((err instanceof AppError && err.code === 'sold_out') || err instanceof TransactionRollbackError) return false;
      throw err;
    });
    if (!took) short.push({ typeId, persons });
  }
  return short;
}

export interface LeaseView {
  site: string; hub: string; kind: string; type: string; typeName: string; day: string; held: number; sold: number; recorded: number; left: number; granted: number; returned: number; updatedAt: string;
  /** A slot lease: the slot (venue, from, to) and its quota. */
  slot: { venue: string; from: string; to: string; quota: number } | null;
}

/** The leases HQ holds for a site's hubs, days' and slots' (GET /api/v1/hub-leases?site=&day=). */
export async function listLeases(db: Db, q: { site?: string; day?: string }): Promise<LeaseView[]> {
  const rows = await db.select({ l: hubLeases, code: ticketTypes.code, name: ticketTypes.name, slot: timeSlots }).from(hubLeases)
    .leftJoin(ticketTypes, and(eq(hubLeases.kind, 'day'), eq(ticketTypes.id, hubLeases.ref)))
    .leftJoin(timeSlots, and(eq(hubLeases.kind, 'slot'), eq(timeSlots.id, hubLeases.ref)))
    .where(and(q.site ? eq(hubLeases.site, q.site) : undefined, q.day ? eq(hubLeases.day, q.day) : undefined))
    .orderBy(asc(hubLeases.day), asc(hubLeases.site), asc(hubLeases.hub), asc(hubLeases.kind), asc(timeSlots.slotFrom), asc(hubLeases.ref));
  return rows.filter((r) => r.code !== null || r.slot !== null).map(({ l, code, name, slot }) => {
    const held = l.granted - l.returned;
    return {
      site: l.site, hub: l.hub, kind: l.kind, type: code ?? '', typeName: name ?? (slot ? `${slot.slotFrom}-${slot.slotTo}` : ''), day: l.day, held, sold: l.sold, recorded: l.recorded, left: Math.max(0, held - l.sold),
      granted: l.granted, returned: l.returned, updatedAt: l.updatedAt.toISOString(),
      slot: slot ? { venue: slot.venue, from: slot.slotFrom, to: slot.slotTo, quota: slot.quota } : null,
    };
  });
}
