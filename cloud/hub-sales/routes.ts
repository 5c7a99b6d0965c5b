import { Hono } from 'hono';
import { z } from 'zod';
import { leaseAnswer, leaseExchange } from '../../shared/hub/lease.ts';
import { anchorList } from '../../shared/hub/anchors.ts';
import { delegatedKey, hubKit as hubKitSchema, journalAck, journalUpload, keyDelegation } from '../../shared/hub/journal.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { requireSite, siteName } from '../sites/service.ts';
import { isCalendarDay } from '../../shared/time/day.ts';
import { exchangeLeases, listLeases } from './leases.ts';
import { ordersPage, ordersQuery, searchOrders } from '../search/orders.ts';
import { delegateKey, hubKit, requireHub, takeJournal } from './service.ts';

/** Reads the orders of the hub's own site only (the route names the site): no user's rows are hidden from it. */
const HUB_READER = { id: '00000000-0000-0000-0000-000000000000', username: 'hub', displayName: 'hub', roles: ['finance' as const], permissions: [] };

const siteQuery = z.object({ site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

/**
 * What a site hub calls at HQ, under /api/v1/sync/hub (device credentials of role hub, of
 * the site named): the kit it sells with offline, its signing key's delegation, and the
 * upload of its sale journal.
 */
export function hubSalesRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/kit', endpoint({ summary: '站点售票资料 / types, prices, discounts and window staff a site hub sells with offline', query: siteQuery, responses: { 200: hubKitSchema } }),
      async (c) => {
        const hub = requireHub(c.get('device'));
        await requireSite(ctx.db, hub.site, { active: true });
        return c.json(await hubKit(ctx, hub.site));
      })
    .post('/key', endpoint({ summary: '站点签名密钥授权 / delegate (or renew) the key a site hub signs its codes with', query: siteQuery, body: keyDelegation, responses: { 200: delegatedKey } }),
      async (c) => c.json(await delegateKey(ctx, requireHub(c.get('device')), c.req.valid('json'))))
    .post('/leases', endpoint({ summary: '站点容量租约 / a site hub\'s share of each day\'s capacity and each time slot: asks for more, gives back what it does not need', query: siteQuery, body: leaseExchange, responses: { 200: leaseAnswer } }),
      async (c) => c.json({ leases: await exchangeLeases(ctx, requireHub(c.get('device')), c.req.valid('json').leases) }))
    .get('/anchors', endpoint({ summary: '审计链锚点 / HQ\'s signed audit heads after `after`, for the hub to keep where HQ\'s database cannot reach', query: siteQuery.extend({ after: z.coerce.number().int().min(-1).default(-1) }), responses: { 200: anchorList } }),
      (c) => {
        requireHub(c.get('device'));
        const after = c.req.valid('query').after;
        return c.json({ items: (ctx.audit?.anchors() ?? []).filter((a) => a.seq > after).slice(0, 1000) });
      })
    .get('/orders', endpoint({ summary: '站点订单 / the site\'s newest orders of the day at HQ, for the list at the hub\'s windows', query: siteQuery.extend({ day: z.string().refine(isCalendarDay, 'YYYY-MM-DD') }), responses: { 200: ordersPage } }),
      async (c) => {
        const hub = requireHub(c.get('device'));
        const { day } = c.req.valid('query');
        return c.json(await searchOrders(ctx, HUB_READER, ordersQuery.parse({ site: hub.site, from: day, to: day, limit: 50 })));
      })
    .post('/journal', endpoint({ summary: '站点销售上传 / a site hub\'s sales, refunds and shifts, each taken exactly once', query: siteQuery, body: journalUpload, responses: { 200: journalAck } }),
      async (c) => c.json(await takeJournal(ctx, requireHub(c.get('device')), c.req.valid('json').entries)));
}

const leaseView = z.object({
  site: z.string(), hub: z.string(), kind: z.string(), type: z.string(), typeName: z.string(), day: z.string(),
  held: z.number().int().describe('places HQ holds for the hub (granted - returned)'), sold: z.number().int().describe('persons the hub says it sold of them'),
  recorded: z.number().int().describe('persons of its sales HQ holds'), left: z.number().int().describe('places the hub may still sell offline'),
  granted: z.number().int(), returned: z.number().int(), updatedAt: z.string().describe('when the hub last exchanged this lease with HQ (last heard)'),
  slot: z.object({ venue: z.string(), from: z.string(), to: z.string(), quota: z.number().int() }).nullable().describe('a time slot\'s lease (kind slot); null: a day\'s capacity'),
});

/** HQ's view of the capacity its site hubs hold (GET /api/v1/hub-leases). */
export function hubLeaseRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '站点容量租约 / the share of each day\'s capacity HQ holds for each site hub', query: z.object({ site: siteName.optional(), day: z.string().refine(isCalendarDay, 'YYYY-MM-DD').optional() }), responses: { 200: z.object({ items: z.array(leaseView) }) } }),
      async (c) => c.json({ items: await listLeases(ctx.db, c.req.valid('query')) }));
}
