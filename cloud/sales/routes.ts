import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { idempotency } from '../http/idempotency.ts';
import { firstSaleOf, getSale, saleRequest, saleView, sell } from './service.ts';

export function salesRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .post('/', idempotency(ctx, { replay: async (c, ref) => c.json(await firstSaleOf(ctx, String(ref.orderId)), 201) }), endpoint({
      summary: '直接售票 / a sale paid in full (cash by default) into the seller\'s shift or the office\'s cash book (administrator)',
      body: saleRequest.meta({ id: 'SaleRequest' }), responses: { 201: saleView }, signedIn: true,
    }), async (c) => c.json(await sell(ctx, c.get('user'), c.req.valid('json'), c.get('idempotency')), 201))
    .get('/:id', endpoint({ summary: '销售记录 / a sale with its tickets', params: z.object({ id: z.string() }), responses: { 200: saleView } }),
      async (c) => c.json(await getSale(ctx, c.req.valid('param').id)));
}
