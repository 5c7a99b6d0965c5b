import { eq } from 'drizzle-orm';
import type { HubOrder } from '../../shared/hub/journal.ts';
import { ticketTypes, users } from '../db/schema/index.ts';
import { appendAudit, type Tx } from '../office/audit.ts';
import { priceOn } from '../office/pricing/pricing.ts';

/**
 * What HQ decided differently while a hub sold offline, recorded beside the sale (never
 * instead of it: the visitor paid and holds the ticket). The rules (README, "Conflicts,
 * decided"): the hub's sale stands at the price it was sold for, by the seller who sold it;
 * finance sees each difference in the audit chain, with both sides.
 * - `hub_price_conflict`: a line's list price is not HQ's price for that day now (a price
 *   changed at HQ during the outage), with the hub's and HQ's price and the difference.
 * - `hub_inactive_seller`: the seller was switched off at HQ (before the upload), and sold
 *   at the hub before the hub heard of it.
 */
export async function flagHubOrder(tx: Tx, at: { site: string; hub: string }, o: HubOrder): Promise<string[]> {
  const flags: string[] = [];
  for (const l of o.lines) {
    const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, l.typeId));
    if (!type) continue;
    const hq = (await priceOn(tx, type, o.visitDay)).priceFen;
    if (hq !== l.listFen) {
      flags.push('hub_price_conflict');
      await appendAudit(tx, {
        at: o.at, actor: `hub:${at.hub}`, action: 'hub_price_conflict', subject: l.saleId,
        body: { orderId: o.id, type: type.code, day: o.visitDay, hubListFen: l.listFen, hqListFen: hq, quantity: l.quantity, differenceFen: (hq - l.listFen) * l.quantity },
      });
    }
  }
  const [seller] = await tx.select({ active: users.active }).from(users).where(eq(users.id, o.seller.id));
  if (seller && !seller.active) {
    flags.push('hub_inactive_seller');
    await appendAudit(tx, { at: o.at, actor: `hub:${at.hub}`, action: 'hub_inactive_seller', subject: o.id, body: { seller: o.seller.username, totalFen: o.totalFen, shiftId: o.shiftId } });
  }
  return flags;
}
