import { Hono } from 'hono';
import { z } from 'zod';
import { typeRules } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { calendarQuery, calendarView, previewBody, previewRule, previewView, priceCalendar } from './calendar.ts';
import { CATEGORIES, createTicketType, listTicketTypes, MEDIA, newTicketType, SALE_METHODS, ticketTypePatch, updateTicketType } from './service.ts';

export const ticketTypeView = z.object({
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  priceFen: z.number().int().describe('Base price; the price calendar may set another for a visit day (POST /quote)'),
  validityDays: z.number().int(),
  entries: z.number().int().describe('Entries per person; 0 = unlimited'),
  persons: z.number().int(),
  rules: typeRules,
  medium: z.enum(MEDIA),
  saleMethods: z.array(z.enum(SALE_METHODS)),
  category: z.enum(CATEGORIES),
  dailyCapacity: z.number().int().nullable(),
  active: z.boolean(),
  createdAt: z.string(),
}).meta({ id: 'TicketType' });
const code = z.object({ code: z.string() });

export function catalogRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '票种 / ticket types', responses: { 200: z.object({ items: z.array(ticketTypeView) }) } }),
      async (c) => c.json({ items: await listTicketTypes(ctx.db) }))
    .post('/', endpoint({ summary: '新建票种 / a ticket type', body: newTicketType, responses: { 201: ticketTypeView } }),
      async (c) => c.json(await createTicketType(ctx.db, c.req.valid('json'), c.get('user')?.username, ctx.now()), 201))
    .patch('/:code', endpoint({ summary: '修改票种 / name, price, sale methods, capacity, active', params: code, body: ticketTypePatch, responses: { 200: ticketTypeView } }),
      async (c) => c.json(await updateTicketType(ctx.db, c.req.valid('param').code, c.req.valid('json'), c.get('user')?.username, ctx.now())));
}

/** The price calendar (GET, a type's price day by day) and the preview of a rule before it is saved. */
export function priceCalendarRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '价格日历 / a type\'s price on each day of a range (at most 93 days), as the window charges it', query: calendarQuery, responses: { 200: calendarView } }),
      async (c) => c.json(await priceCalendar(ctx, c.req.valid('query'))))
    .post('/preview', endpoint({ summary: '价格预览 / the days a price rule would change, before it is saved', body: previewBody, responses: { 200: previewView } }),
      async (c) => c.json(await previewRule(ctx, c.req.valid('json'))));
}
