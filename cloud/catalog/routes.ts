import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { jsonBody } from '../http/errors.ts';
import { createTicketType, listTicketTypes, newTicketType, updateTicketType } from './service.ts';

export function catalogRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/', async (c) => c.json({ items: await listTicketTypes(ctx.db) }))
    .post('/', async (c) => c.json(await createTicketType(ctx.db, newTicketType.parse(await jsonBody(c))), 201))
    .patch('/:code', async (c) => c.json(await updateTicketType(ctx.db, c.req.param('code'), await jsonBody(c))));
}
