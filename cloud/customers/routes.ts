import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { hasRole } from '../auth/roles.ts';
import {
  addContract, createCustomer, createGuide, customerPatch, customerView, findGuides, guidePayout, guideView, guideVisit, listCustomers,
  newContract, newCustomer, newGuide, patchCustomer, payoutGuide, performance, period, recordVisit, statement,
} from './service.ts';

const kindQuery = z.object({ kind: z.enum(['agency', 'unit']).optional() }).strict();
const guideQuery = z.object({ phone: z.string().min(4).max(20).optional(), name: z.string().min(1).max(64).optional() }).strict();
const code = z.object({ code: z.string() });
const id = z.object({ id: z.string() });
const created = { 201: { description: 'Created' } };

/** Travel agencies, agreement units, their contracts and statements; guides and drivers (see auth/policy.ts). */
export function customerRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '客户 / travel agencies and agreement units', query: kindQuery }),
      async (c) => c.json(await listCustomers(ctx, c.req.valid('query').kind)))
    .post('/', endpoint({ summary: '新建客户 / a customer', body: newCustomer, responses: created }),
      async (c) => c.json(await createCustomer(ctx, c.req.valid('json')), 201))
    .get('/performance', endpoint({ summary: '客户业绩 / sales per customer over a period', query: period }),
      async (c) => c.json(await performance(ctx, c.req.valid('query'))))
    .get('/guides', endpoint({ summary: '导游 / find guides and drivers', query: guideQuery }),
      async (c) => c.json(await findGuides(ctx, c.req.valid('query'))))
    .post('/guides', endpoint({ summary: '新建导游 / a guide or driver', body: newGuide, responses: created }),
      async (c) => c.json(await createGuide(ctx, c.req.valid('json')), 201))
    .get('/guides/:id', endpoint({ summary: '导游 / a guide with rebates and points', params: id }),
      async (c) => c.json(await guideView(ctx, c.req.valid('param').id)))
    .post('/guides/:id/visits', endpoint({ summary: '带团登记 / record a guide\'s group visit', params: id, body: guideVisit, responses: created }),
      async (c) => c.json(await recordVisit(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 201))
    .post('/guides/:id/payouts', endpoint({ summary: '返利兑付 / pay out a guide\'s rebate or points (finance)', params: id, body: guidePayout, responses: created, signedIn: true }),
      async (c) => {
        const user = c.get('user');
        if (!hasRole(user, 'administrator', 'finance')) throw new AppError('forbidden', '返利兑付须财务办理 / payouts are for finance', 403);
        return c.json(await payoutGuide(ctx, user, c.req.valid('param').id, c.req.valid('json')), 201);
      })
    .get('/:code', endpoint({ summary: '客户 / a customer with contracts', params: code }),
      async (c) => c.json(await customerView(ctx, c.req.valid('param').code)))
    .patch('/:code', endpoint({ summary: '修改客户 / change a customer', params: code, body: customerPatch }),
      async (c) => c.json(await patchCustomer(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .post('/:code/contracts', endpoint({ summary: '签约 / a contract (discount, settlement, credit)', params: code, body: newContract, responses: created }),
      async (c) => c.json(await addContract(ctx, c.get('user'), c.req.valid('param').code, c.req.valid('json')), 201))
    .get('/:code/statement', endpoint({ summary: '对账单 / a customer\'s statement over a period', params: code, query: period }),
      async (c) => c.json(await statement(ctx, c.req.valid('param').code, c.req.valid('query'))));
}
