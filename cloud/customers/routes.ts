import { Hono } from 'hono';
import { z } from 'zod';
import { maybeUser } from '../auth/middleware.ts';
import type { CloudContext } from '../context.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { hasRole } from '../auth/roles.ts';
import {
  addContract, createCustomer, createGuide, customerPatch, customerView, findGuides, guidePayout, guideView, guideVisit, listCustomers,
  newContract, newCustomer, newGuide, patchCustomer, payoutGuide, performance, period, recordVisit, statement,
} from './service.ts';

const kindQuery = z.object({ kind: z.enum(['agency', 'unit']).optional() }).strict();
const guideQuery = z.object({ phone: z.string().min(4).max(20).optional(), name: z.string().min(1).max(64).optional() }).strict();

/** Travel agencies, agreement units, their contracts and statements; guides and drivers (see auth/policy.ts). */
export function customerRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/', async (c) => c.json(await listCustomers(ctx, kindQuery.parse(c.req.query()).kind)))
    .post('/', async (c) => c.json(await createCustomer(ctx, newCustomer.parse(await jsonBody(c))), 201))
    .get('/performance', async (c) => c.json(await performance(ctx, period.parse(c.req.query()))))
    .get('/guides', async (c) => c.json(await findGuides(ctx, guideQuery.parse(c.req.query()))))
    .post('/guides', async (c) => c.json(await createGuide(ctx, newGuide.parse(await jsonBody(c))), 201))
    .get('/guides/:id', async (c) => c.json(await guideView(ctx, c.req.param('id'))))
    .post('/guides/:id/visits', async (c) => c.json(await recordVisit(ctx, maybeUser(c), c.req.param('id'), guideVisit.parse(await jsonBody(c))), 201))
    .post('/guides/:id/payouts', async (c) => {
      const user = maybeUser(c);
      if (!user || !hasRole(user, 'administrator', 'finance')) throw new AppError('forbidden', '返利兑付须财务办理 / payouts are for finance', 403);
      return c.json(await payoutGuide(ctx, user, c.req.param('id'), guidePayout.parse(await jsonBody(c))), 201);
    })
    .get('/:code', async (c) => c.json(await customerView(ctx, c.req.param('code'))))
    .patch('/:code', async (c) => c.json(await patchCustomer(ctx, c.req.param('code'), customerPatch.parse(await jsonBody(c)))))
    .post('/:code/contracts', async (c) => c.json(await addContract(ctx, maybeUser(c), c.req.param('code'), newContract.parse(await jsonBody(c))), 201))
    .get('/:code/statement', async (c) => c.json(await statement(ctx, c.req.param('code'), period.parse(c.req.query()))));
}
