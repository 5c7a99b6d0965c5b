import { and, eq, sql } from 'drizzle-orm';
import type { DeviceIdentity } from '../../shared/auth/device.ts';
import type { HubOrder } from '../../shared/hub/journal.ts';
import type { LeaseAsk, LeaseGrant } from '../../shared/hub/lease.ts';
import type { CloudContext } from '../context.ts';
import { hubLeases, timeSlots } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, type Tx } from '../office/audit.ts';
import { bindTicketSlots, releaseSlot } from '../slots/service.ts';
import { lockLease } from './leases.ts';

/**
 * Time-slot leases (分时预约 at a site hub): the same rule as a day's capacity
 * (cloud/hub-sales/leases.ts), over a slot's quota. The hub is a window, so the places a
 * lease holds are counted in the slot's walk-in column (time_slots.sold_walk_in) from the
 * grant on: HQ's windows, kiosks and channels can never sell them, and the slot's
 * quota >= sold + sold_walk_in holds across HQ and the hub, line or no line. A hub sale inside
 * the lease takes nothing more when it arrives; a refund (ledger.refund) gives its places
 * back to the slot, not to the lease; places given back return to the slot.
 */
export async function exchangeSlot(tx: Tx, ctx: CloudContext, hub: DeviceIdentity, ask: LeaseAsk): Promise<LeaseGrant> {
  const [slot] = await tx.select().from(timeSlots).where(and(eq(timeSlots.id, ask.ref), eq(timeSlots.site, hub.site))).for('update');
  if (!slot) throw new AppError('slot_unknown', `time slot ${ask.ref} is not a slot of site ${hub.site}`, 409, { ref: ask.ref });
  const key = { site: hub.site, hub: hub.device, kind: 'slot', ref: slot.id, day: slot.day };
  const { where, granted: g0, returned: r0, sold, back } = await lockLease(tx, ctx, key, ask);
  let granted = g0;
  let returned = r0;
  if (back > 0) {
    await releaseSlot(tx, slot.id, back, true);
    returned += back;
  }
  // The slot row is locked: what it has room for now is what may be granted.
  const room = Math.max(0, slot.quota - slot.sold - (slot.soldWalkIn - back));
  const took = Math.max(0, Math.min(ask.want - Math.max(0, granted - returned - sold), room));
  if (took > 0) {
    await tx.update(timeSlots).set({ soldWalkIn: sql`${timeSlots.soldWalkIn} + ${took}` }).where(eq(timeSlots.id, slot.id));
    granted += took;
  }
  await tx.update(hubLeases).set({ granted, returned, sold, updatedAt: new Date(ctx.now()) }).where(where);
  if (took || back) {
    await appendAudit(tx, { at: ctx.now(), actor: `hub:${hub.device}`, action: 'hub_lease', subject: `${hub.site}/${hub.device}/slot/${slot.day}/${slot.slotFrom}`, body: { ...key, venue: slot.venue, from: slot.slotFrom, to: slot.slotTo, took, back, granted, returned, sold } });
  }
  return { kind: 'slot', ref: slot.id, day: slot.day, limited: true, granted, returned };
}

/**
 * The slot places of an uploaded hub sale: inside the hub's slot lease, counted against it;
 * otherwise taken from the slot now. A sale that finds no room stands (the visitors paid and
 * hold signed codes); its places are counted all the same and it is flagged `hub_over_slot`.
 * Then its tickets are bound to the slot, as HQ's window sales are.
 */
export async function placeHubSlot(tx: Tx, at: { site: string; hub: string }, o: HubOrder): Promise<void> {
  if (!o.slot) return;
  const persons = o.lines.reduce((s, l) => s + l.persons, 0);
  const [slot] = await tx.select().from(timeSlots).where(and(eq(timeSlots.id, o.slot.id), eq(timeSlots.site, at.site)));
  if (!slot || slot.day !== o.visitDay || slot.slotFrom !== o.slot.from) {
    throw new AppError('slot_unknown', `the hub sold slot ${o.slot.id} (${o.visitDay} ${o.slot.from}), which HQ does not hold for site ${at.site}`, 409, { slot: o.slot.id });
  }
  let inLease = false;
  if (o.slot.leased) {
    const [row] = await tx.update(hubLeases).set({ recorded: sql`${hubLeases.recorded} + ${persons}`, sold: sql`greatest(${hubLeases.sold}, ${hubLeases.recorded} + ${persons})` })
      .where(and(eq(hubLeases.site, at.site), eq(hubLeases.hub, at.hub), eq(hubLeases.kind, 'slot'), eq(hubLeases.ref, slot.id), eq(hubLeases.day, slot.day),
        sql`${hubLeases.recorded} + ${persons} <= ${hubLeases.granted} - ${hubLeases.returned}`)).returning();
    inLease = !!row;
  }
  if (!inLease) {
    const [taken] = await tx.update(timeSlots).set({ soldWalkIn: sql`${timeSlots.soldWalkIn} + ${persons}` })
      .where(and(eq(timeSlots.id, slot.id), sql`${timeSlots.sold} + ${timeSlots.soldWalkIn} + ${persons} <= ${timeSlots.quota}`)).returning();
    if (!taken) {
      await tx.update(timeSlots).set({ soldWalkIn: sql`${timeSlots.soldWalkIn} + ${persons}` }).where(eq(timeSlots.id, slot.id));
      await appendAudit(tx, { at: o.at, actor: `hub:${at.hub}`, action: 'hub_over_slot', subject: o.id, body: { slot: slot.id, day: slot.day, from: slot.slotFrom, persons } });
    }
  }
  await bindTicketSlots(tx, at.site, slot, o.lines.flatMap((l) => l.tickets.map((t) => ({ id: t.id, persons: t.persons }))));
}
