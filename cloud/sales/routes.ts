import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { getSale, saleRequest, sell } from './service.ts';

export function salesRoutes(ctx: CloudContext) {
  return new Hono()
    .post('/', async (c) => {
      const key = c.req.header('Idempotency-Key');
      if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) {
        throw new AppError('invalid_idempotency_key', 'Idempotency-Key must be 1-128 printable characters');
      }
      return c.json(await sell(ctx, saleRequest.parse(await jsonBody(c)), key), 201);
    })
    .get('/:id', async (c) => c.json(await getSale(ctx, c.req.param('id'))));
}
