import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../../context.ts';
import { endpoint } from '../../http/endpoint.ts';
import type { CloudEnv } from '../../http/env.ts';
import { discountsView } from '../../openapi/responses.ts';
import {
  capacityBody, createDiscount, createPriceRule, deletePriceRule, getCapacity, getGrants, grantsBody, holidayBody, listDiscounts, listHolidays, listPriceRules,
  newDiscount, newPriceRule, putCapacity, putGrants, putHoliday,
} from './setup.ts';

const typeDay = z.object({ type: z.string().max(32), day: z.string() });
const seller = z.object({ id: z.string() });

/** What a window may sell at what price: discounts, the price calendar, holidays, daily capacity, sellers' grants. */
export function pricingRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/discounts', endpoint({ summary: '折扣 / discounts', responses: { 200: discountsView } }),
      async (c) => c.json({ items: await listDiscounts(ctx) }))
    .post('/discounts', endpoint({ summary: '新建折扣 / a discount', body: newDiscount, responses: { 201: { description: 'The discount' } } }),
      async (c) => c.json(await createDiscount(ctx, c.req.valid('json')), 201))
    .get('/price-rules', endpoint({ summary: '价格日历 / price rules', query: z.object({ type: z.string().max(32).optional() }) }),
      async (c) => c.json({ items: await listPriceRules(ctx, c.req.valid('query').type) }))
    .post('/price-rules', endpoint({ summary: '新建价格规则 / a price rule', body: newPriceRule, responses: { 201: { description: 'The rule' } } }),
      async (c) => c.json(await createPriceRule(ctx, c.req.valid('json')), 201))
    .delete('/price-rules/:id', endpoint({ summary: '删除价格规则 / remove a price rule', params: z.object({ id: z.string() }) }),
      async (c) => c.json(await deletePriceRule(ctx, c.req.valid('param').id)))
    .get('/holidays', endpoint({ summary: '节假日 / holidays' }),
      async (c) => c.json({ items: await listHolidays(ctx) }))
    .put('/holidays/:day', endpoint({ summary: '设置节假日 / mark a day a holiday', params: z.object({ day: z.string() }), body: holidayBody }),
      async (c) => c.json(await putHoliday(ctx, c.req.valid('param').day, c.req.valid('json'))))
    .get('/capacity/:type/:day', endpoint({ summary: '日限额 / capacity and places sold of a type on a day', params: typeDay }),
      async (c) => c.json(await getCapacity(ctx, c.req.valid('param').type, c.req.valid('param').day)))
    .put('/capacity/:type/:day', endpoint({ summary: '设置日限额 / set the capacity of a type on a day', params: typeDay, body: capacityBody, signedIn: true }),
      async (c) => c.json(await putCapacity(ctx, c.get('user'), c.req.valid('param').type, c.req.valid('param').day, c.req.valid('json'))))
    .get('/sellers/:id/grants', endpoint({ summary: '售票授权 / types and discounts a seller may sell', params: seller }),
      async (c) => c.json(await getGrants(ctx, c.req.valid('param').id)))
    .put('/sellers/:id/grants', endpoint({ summary: '设置售票授权 / set a seller\'s grants', params: seller, body: grantsBody, signedIn: true }),
      async (c) => c.json(await putGrants(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'))));
}
