import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { getSale, saleRequest, saleView, sell } from './service.ts';

function idempotencyKey(header: string | undefined): string | undefined {
  if (header !== undefined && !/^[\x21-\x7e]{1,128}$/.test(header)) {
    throw new AppError('invalid_idempotency_key', 'Idempotency-Key must be 1-128 printable characters');
  }
  return header;
}

export function salesRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .post('/', endpoint({
      summary: '直接售票 / a sale paid in full (cash by default) into the seller\'s shift or the office\'s cash book (administrator)',
      body: saleRequest.meta({ id: 'SaleRequest' }), idempotencyKey: 'optional', responses: { 201: saleView }, signedIn: true,
    }), async (c) => c.json(await sell(ctx, c.get('user'), c.req.valid('json'), idempotencyKey(c.req.header('Idempotency-Key'))), 201))
    .get('/:id', endpoint({ summary: '销售记录 / a sale with its tickets', params: z.object({ id: z.string() }), responses: { 200: saleView } }),
      async (c) => c.json(await getSale(ctx, c.req.valid('param').id)));
}
