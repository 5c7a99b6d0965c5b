import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../../context.ts';
import { endpoint } from '../../http/endpoint.ts';
import type { CloudEnv } from '../../http/env.ts';
import { stockBatchView } from '../../openapi/responses.ts';
import { createBatch, getBatch, moveRequest, moveStock, newBatch, stockHeldBy } from './stock.ts';

const MOVES = {
  receive: '票卡入库 / receive serials into the store',
  issue: '票卡领用 / issue serials to a seller',
  return: '票卡退回 / return serials',
  void: '票卡作废 / void serials',
} as const;

/** Pre-printed ticket stock: batches made, received, issued to sellers, returned, voided; sold through the ledger. */
export function stockRoutes(ctx: CloudContext) {
  const app = new Hono<CloudEnv>()
    .post('/batches', endpoint({ summary: '入库批次 / a batch of pre-printed serials made', body: newBatch, responses: { 201: { description: 'The batch' } }, signedIn: true }),
      async (c) => c.json(await createBatch(ctx, c.get('user'), c.req.valid('json')), 201))
    .get('/batches/:id', endpoint({ summary: '批次 / a batch with its serials counted by state', params: z.object({ id: z.string() }), responses: { 200: stockBatchView } }),
      async (c) => c.json(await getBatch(ctx, c.req.valid('param').id)))
    .get('/held/:userId', endpoint({ summary: '售票员持有 / serials issued to a seller', params: z.object({ userId: z.string() }) }),
      async (c) => c.json(await stockHeldBy(ctx, c.req.valid('param').userId)));
  for (const [kind, summary] of Object.entries(MOVES) as [keyof typeof MOVES, string][]) {
    app.post(`/${kind}`, endpoint({ summary, body: moveRequest, signedIn: true }),
      async (c) => c.json(await moveStock(ctx, c.get('user'), kind, c.req.valid('json'))));
  }
  return new Hono<CloudEnv>().route('/stock', app);
}
