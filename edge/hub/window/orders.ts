import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { HubKit } from '../../../shared/hub/journal.ts';
import { businessDay } from '../../../shared/time/zone.ts';
import type { OrderRow, SaleBook } from './book.ts';

/** One row of HQ's order list (cloud/search/orders.ts orderItem), as the window's list shows it. */
const orderItem = z.object({
  id: z.string(), site: z.string(), status: z.string(), visitDay: z.string(), totalFen: z.number().int(), paidFen: z.number().int(), refundedFen: z.number().int(),
  seller: z.object({ id: z.string(), username: z.string(), displayName: z.string() }), shiftId: z.string().nullable(), account: z.null().or(z.object({ id: z.string(), name: z.string() })),
  note: z.string().nullable(), lines: z.array(z.object({ type: z.string(), typeName: z.string(), quantity: z.number().int(), amountFen: z.number().int().nullable() })),
  createdAt: z.string(), issuedAt: z.string().nullable(),
}).passthrough();
type OrderItem = z.infer<typeof orderItem> & { source?: 'hub' | 'hq' };

export const hubOrdersQuery = z.object({
  q: z.string().trim().max(64).optional(), from: z.string().optional(), to: z.string().optional(), seller: z.string().optional(), status: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
}).passthrough();

/**
 * The site's orders at the hub's windows: what the hub sold (its own book, always), and HQ's
 * orders of the site (windows at HQ, kiosks, channels), as HQ listed them at the last fetch
 * while the line was up, each marked with where it is held. An HQ order's details and
 * after-sale acts stay at HQ.
 */
export class SiteOrders {
  private pulledAt = 0;
  constructor(private readonly db: Database.Database, private readonly book: SaleBook, private readonly now: () => number, private readonly everyMs = 60_000) {}

  /** Fetches HQ's newest orders of the site's day (GET /api/v1/sync/hub/orders), through the window's uplink. */
  async pull(kit: HubKit | undefined, get: (path: string) => Promise<unknown>): Promise<void> {
    if (!kit || this.now() - this.pulledAt < this.everyMs) return;
    const day = businessDay(this.now(), kit.timeZone);
    const page = z.object({ items: z.array(orderItem) }).parse(await get(`/orders?day=${day}`));
    const put = this.db.prepare('insert into hub_hq_orders (id, created_at, body) values (?, ?, ?) on conflict (id) do update set body = excluded.body');
    this.db.transaction(() => { for (const o of page.items) put.run(o.id, o.createdAt, JSON.stringify(o)); })();
    this.pulledAt = this.now();
  }

  list(kit: HubKit, q: z.infer<typeof hubOrdersQuery>): { items: OrderItem[]; next: null } {
    const tz = kit.timeZone;
    const own = this.book.recentOrders(this.now() - 8 * 86_400_000, 500).map((r) => summary(kit, r));
    const ids = new Set(own.map((o) => o.id));
    const hq = (this.db.prepare('select body from hub_hq_orders order by created_at desc limit 500').all() as { body: string }[])
      .map((r) => ({ ...(JSON.parse(r.body) as OrderItem), source: 'hq' as const })).filter((o) => !ids.has(o.id));
    const day = (iso: string) => businessDay(Date.parse(iso), tz);
    const items = [...own, ...hq]
      .filter((o) => (!q.from || day(o.createdAt) >= q.from) && (!q.to || day(o.createdAt) <= q.to))
      .filter((o) => (!q.seller || o.seller.id === q.seller) && (!q.status || q.status.split(',').includes(o.status)))
      .filter((o) => !q.q || o.id.startsWith(q.q.toLowerCase()) || (o.note ?? '').includes(q.q))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, q.limit);
    return { items, next: null };
  }
}

function summary(kit: HubKit, r: OrderRow): OrderItem {
  const o = r.order;
  const name = (code: string) => kit.types.find((t) => t.code === code)?.name ?? code;
  const at = new Date(o.at).toISOString();
  return {
    id: o.id, site: kit.site, status: 'issued', visitDay: o.visitDay, totalFen: o.totalFen, paidFen: o.totalFen, refundedFen: r.refund?.amountFen ?? 0,
    seller: { id: o.seller.id, username: o.seller.username, displayName: kit.users.find((u) => u.id === o.seller.id)?.displayName ?? o.seller.username },
    shiftId: o.shiftId, account: null, note: o.slot ? `${o.slot.from}-${o.slot.to}` : null,
    lines: o.lines.map((l) => ({ type: l.type, typeName: name(l.type), quantity: l.quantity, amountFen: l.totalFen })), createdAt: at, issuedAt: at, source: 'hub',
  };
}
