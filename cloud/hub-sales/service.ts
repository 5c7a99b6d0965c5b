import { and, eq, inArray } from 'drizzle-orm';
import type { DeviceIdentity } from '../../shared/auth/device.ts';
import { keyIdOf, publicKeyFromRaw } from '../../shared/code/keys.ts';
import { entryDigest, type HubKit, type JournalAck, type JournalEntry } from '../../shared/hub/journal.ts';
import { addDays, businessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { dayCapacity, discounts, hubKeys, hubUploads, issuerKeys, sellerDiscounts, sellerTypes, ticketTypes, timeSlots, users } from '../db/schema/index.ts';
import { slotVenue } from '../slots/service.ts';
import { AppError } from '../http/errors.ts';
import { auditedTx } from '../office/audit.ts';
import { priceOn } from '../office/pricing/pricing.ts';
import { appendChanges } from '../sync/changes.ts';
import { recordHubOrder, recordHubPickup, recordHubRefund, recordHubShift } from './record.ts';

/** How long a hub's key is trusted past its last renewal: the longest outage a site sells through. */
export const DELEGATION_MS = 3 * 24 * 3600_000;
/** A renewal is written to the change log at most this often (every hub asks on each sync pass). */
const RENEW_EVERY_MS = 3600_000;
/** Days of prices a hub carries: it can sell for today and the next days while offline. */
const PRICE_DAYS = 7;

export function requireHub(id: DeviceIdentity | undefined): DeviceIdentity {
  if (!id || id.role !== 'hub') throw new AppError('device_forbidden', '仅站点服务器可调用 / only a site hub may call this', 403);
  return id;
}

/**
 * What a hub needs to serve its windows offline: ticket types with the next days' prices,
 * discounts, and the staff who may sign in there, with their password hashes and grants.
 * A user switched off at HQ travels as inactive, so the hub refuses them from its next sync.
 */
export async function hubKit(ctx: CloudContext, site: string): Promise<HubKit> {
  const now = ctx.now();
  const tz = ctx.config.timeZone;
  const today = businessDay(now, tz);
  const days = Array.from({ length: PRICE_DAYS }, (_, i) => addDays(today, i));
  const types = await ctx.db.select().from(ticketTypes).orderBy(ticketTypes.id);
  const caps = await ctx.db.select().from(dayCapacity).where(inArray(dayCapacity.day, days));
  const out: HubKit['types'] = [];
  for (const t of types) {
    const prices: Record<string, number> = {};
    const capacity: Record<string, number | null> = {};
    for (const d of days) {
      prices[d] = (await priceOn(ctx.db, t, d)).priceFen;
      const c = caps.find((r) => r.typeId === t.id && r.day === d);
      capacity[d] = c?.capacity ?? t.dailyCapacity;
    }
    out.push({
      id: t.id, code: t.code, name: t.name, active: t.active, persons: t.persons, entries: t.entries, validityDays: t.validityDays,
      saleMethods: t.saleMethods, category: t.category, prices, basePriceFen: t.priceFen, capacity, slotVenue: slotVenue(t.rules),
    });
  }
  const slots = (await ctx.db.select().from(timeSlots).where(and(eq(timeSlots.site, site), inArray(timeSlots.day, days))).orderBy(timeSlots.day, timeSlots.venue, timeSlots.slotFrom))
    .map((s) => ({ id: s.id, venue: s.venue, day: s.day, from: s.slotFrom, to: s.slotTo, quota: s.quota }));
  const ds = await ctx.db.select().from(discounts).orderBy(discounts.id);
  const us = await ctx.db.select().from(users).orderBy(users.username);
  const st = await ctx.db.select({ userId: sellerTypes.userId, code: ticketTypes.code }).from(sellerTypes).innerJoin(ticketTypes, eq(ticketTypes.id, sellerTypes.typeId));
  const sd = await ctx.db.select({ userId: sellerDiscounts.userId, code: discounts.code }).from(sellerDiscounts).innerJoin(discounts, eq(discounts.id, sellerDiscounts.discountId));
  return {
    site, at: now, timeZone: tz,
    types: out,
    slots,
    discounts: ds.map((d) => ({ code: d.code, name: d.name, kind: d.kind === 'fixed' ? 'fixed' as const : 'percent' as const, value: d.value, customerCategory: d.customerCategory, active: d.active })),
    // Only those who work at a window: finance and supervisors stay at HQ.
    users: us.filter((u) => (u.roles as string[]).some((r) => r === 'seller' || r === 'administrator')).map((u) => ({
      id: u.id, username: u.username, displayName: u.displayName, roles: u.roles as string[], permissions: u.permissions, passwordHash: u.passwordHash, active: u.active,
      grants: { types: st.filter((g) => g.userId === u.id).map((g) => g.code).sort(), discounts: sd.filter((g) => g.userId === u.id).map((g) => g.code).sort() },
    })),
  };
}

/**
 * Registers (or renews) the key a hub signs its codes with. The key is scoped to the hub's
 * site (its change goes to that site's devices only) and time-limited: gates trust it for
 * codes valid up to `notAfter`, which moves on while the hub keeps renewing.
 */
export async function delegateKey(ctx: CloudContext, hub: DeviceIdentity, body: { keyId: string; publicKey: string }): Promise<{ keyId: string; notAfter: number }> {
  let keyId: string;
  try {
    keyId = keyIdOf(publicKeyFromRaw(Buffer.from(body.publicKey, 'hex')));
  } catch {
    throw new AppError('invalid_request', 'publicKey is not an Ed25519 public key', 400);
  }
  if (keyId !== body.keyId) throw new AppError('invalid_request', `keyId ${body.keyId} does not match the public key (${keyId})`, 400);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const [hq] = await tx.select().from(issuerKeys).where(eq(issuerKeys.keyId, keyId));
    const [prior] = await tx.select().from(hubKeys).where(eq(hubKeys.keyId, keyId)).for('update');
    if (hq || (prior && (prior.site !== hub.site || prior.hub !== hub.device))) throw new AppError('key_taken', `key ${keyId} belongs to another issuer`, 409);
    if (prior && now - prior.renewedAt.getTime() < RENEW_EVERY_MS) return { keyId, notAfter: prior.notAfter.getTime() };
    // Whole seconds: gates compare it with a code's validity, which is in seconds.
    const notAfter = Math.floor((now + DELEGATION_MS) / 1000) * 1000;
    await tx.insert(hubKeys).values({ keyId, site: hub.site, hub: hub.device, publicKey: body.publicKey, notAfter: new Date(notAfter), createdAt: new Date(now), renewedAt: new Date(now) })
      .onConflictDoUpdate({ target: hubKeys.keyId, set: { notAfter: new Date(notAfter), renewedAt: new Date(now) } });
    await appendChanges(tx, hub.site, [{ kind: 'key', keyId, publicKey: body.publicKey, notAfter: notAfter / 1000 }]);
    ctx.log.info({ site: hub.site, hub: hub.device, keyId, notAfter: new Date(notAfter).toISOString() }, prior ? 'hub key renewed' : 'hub key delegated');
    return { keyId, notAfter };
  }).then((r) => {
    ctx.notify(hub.site);
    return r;
  });
}

const RECORDERS = {
  order: (tx, ctx, at, e) => recordHubOrder(tx, ctx, at, (e as Extract<JournalEntry, { kind: 'order' }>).order).then(() => undefined),
  refund: (tx, ctx, at, e) => recordHubRefund(tx, ctx, at, (e as Extract<JournalEntry, { kind: 'refund' }>).refund).then(() => undefined),
  shift: (tx, ctx, at, e) => recordHubShift(tx, ctx, at, (e as Extract<JournalEntry, { kind: 'shift' }>).shift),
  pickup: (tx, ctx, at, e) => recordHubPickup(tx, ctx, at, (e as Extract<JournalEntry, { kind: 'pickup' }>).pickup),
} satisfies Record<JournalEntry['kind'], (tx: Parameters<typeof recordHubShift>[0], ctx: CloudContext, at: { site: string; hub: string }, e: JournalEntry) => Promise<void>>;

function totals(e: JournalEntry): { orderId: string | null; totalFen: number; persons: number } {
  if (e.kind === 'order') return { orderId: e.order.id, totalFen: e.order.totalFen, persons: e.order.lines.reduce((s, l) => s + l.persons, 0) };
  if (e.kind === 'refund') return { orderId: e.refund.orderId, totalFen: -e.refund.amountFen, persons: 0 };
  return { orderId: null, totalFen: 0, persons: 0 };
}

/**
 * Takes a batch of a hub's journal, each entry exactly once: its number is recorded in the
 * same transaction as the sale it carries, so an entry sent again (the answer lost on the
 * line, the hub restarted mid-upload) finds its number and is only acknowledged. The same
 * number with other content is refused, never recorded over.
 */
export async function takeJournal(ctx: CloudContext, hub: DeviceIdentity, entries: JournalEntry[]): Promise<JournalAck> {
  const at = { site: hub.site, hub: hub.device };
  const ack: JournalAck = { taken: [], refused: [] };
  let changed = false;
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
    const digest = entryDigest(e);
    const known = async () => {
      const [row] = await ctx.db.select().from(hubUploads).where(and(eq(hubUploads.site, at.site), eq(hubUploads.hub, at.hub), eq(hubUploads.seq, e.seq)));
      return row;
    };
    let row = await known();
    if (!row) {
      try {
        await auditedTx(ctx.db, async (tx) => {
          await tx.insert(hubUploads).values({ site: at.site, hub: at.hub, seq: e.seq, kind: e.kind, digest, ...totals(e), receivedAt: new Date(ctx.now()) });
          await RECORDERS[e.kind](tx, ctx, at, e);
        });
        changed = true;
        ack.taken.push(e.seq);
        continue;
      } catch (err) {
        // Another upload of the same entry won the race: it is taken, by that one.
        row = await known();
        if (!row) {
          if (err instanceof AppError && err.status < 500) {
            ack.refused.push({ seq: e.seq, code: err.code, message: err.message });
            ctx.log.warn({ site: at.site, hub: at.hub, seq: e.seq, code: err.code }, 'hub journal entry refused');
            continue;
          }
          throw err;
        }
      }
    }
    if (row.digest === digest) ack.taken.push(e.seq);
    else ack.refused.push({ seq: e.seq, code: 'seq_conflict', message: `条目 ${e.seq} 已以不同内容入账 / entry ${e.seq} was taken with other content` });
  }
  if (changed) ctx.notify(hub.site);
  return ack;
}
