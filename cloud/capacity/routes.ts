import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { siteName } from '../sites/service.ts';
import { listSlots, makeSlots, makeSlotsRequest, slotView } from '../slots/service.ts';
import { isCalendarDay } from '../../shared/time/day.ts';
import { businessDay } from '../../shared/time/zone.ts';
import { capacityStatus, capacityStatusView, getVenueCapacity, setVenueCapacity, venueCapacityRequest, venueCapacityView } from './service.ts';
import { boardPage } from './board.ts';
import { capacityRange, capacityRangeQuery, capacityRangeView } from '../office/pricing/setup.ts';

const venueParams = z.object({ site: siteName, venue: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/) });
const publicQuery = z.object({ site: siteName.optional() });

/**
 * Capacity and time slots: a venue's capacity rules (administrator), its slots made from a
 * pattern, and the public status for the entrance display board and the site's website.
 */
export function capacityRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/capacity/:type', endpoint({
      summary: '每日限量日历 / a type\'s capacity, sold and left for each day of a range (at most 93 days)', params: z.object({ type: z.string() }), query: capacityRangeQuery, responses: { 200: capacityRangeView },
    }), async (c) => c.json(await capacityRange(ctx, c.req.valid('param').type, c.req.valid('query'))))
    .get('/venue-capacity/:site/:venue', endpoint({ summary: '园区承载量 / a venue\'s capacity and slot rules', params: venueParams, responses: { 200: venueCapacityView } }),
      async (c) => c.json(await getVenueCapacity(ctx, c.req.valid('param').site, c.req.valid('param').venue)))
    .put('/venue-capacity/:site/:venue', endpoint({ summary: '设置园区承载量 / set a venue\'s capacity and slot rules (gates get them on their next pull)', params: venueParams, body: venueCapacityRequest, responses: { 200: venueCapacityView } }),
      async (c) => c.json(await setVenueCapacity(ctx, c.req.valid('param').site, c.req.valid('param').venue, c.req.valid('json'))))
    .post('/slots/:site/:venue', endpoint({ summary: '生成分时段 / make a venue\'s time slots for a run of days from a pattern', params: venueParams, body: makeSlotsRequest, responses: { 200: z.object({ days: z.number().int(), slots: z.number().int() }) } }),
      async (c) => c.json(await makeSlots(ctx, c.req.valid('param').site, c.req.valid('param').venue, c.req.valid('json'))))
    .get('/slots/:site/:venue', endpoint({ summary: '分时段 / a venue\'s time slots of a day, with what is sold', params: venueParams, query: z.object({ day: z.string().refine(isCalendarDay, 'YYYY-MM-DD').optional() }), responses: { 200: z.object({ items: z.array(slotView) }) } }),
      async (c) => c.json({ items: await listSlots(ctx.db, c.req.valid('param').site, c.req.valid('param').venue, c.req.valid('query').day ?? businessDay(ctx.now(), ctx.config.timeZone)) }))
    .get('/public/capacity', endpoint({ summary: '在园人数与余量（公开） / persons inside, status and today\'s places per slot, no login', query: publicQuery, responses: { 200: capacityStatusView } }),
      async (c) => {
        c.header('Cache-Control', 'public, max-age=5');
        return c.json(await capacityStatus(ctx, c.req.valid('query').site ?? ctx.config.site));
      })
    .get('/public/capacity/board', endpoint({ summary: '入口显示屏页面（公开） / the entrance display board page', query: publicQuery.extend({ lang: z.enum(['zh-CN', 'en']).optional() }), responses: { 200: { description: 'HTML page', contentType: 'text/html' } } }),
      async (c) => {
        const q = c.req.valid('query');
        return c.html(boardPage(await capacityStatus(ctx, q.site ?? ctx.config.site), q.lang ?? 'zh-CN'));
      });
}
