import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { deviceStreams } from '../db/schema/index.ts';
import { readChanges } from './changes.ts';

const changesQuery = z.object({
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export function syncRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/changes', async (c) => {
      const q = changesQuery.parse(c.req.query());
      return c.json(await readChanges(ctx.db, q.site, q.since, q.limit));
    })
    .get('/devices', async (c) => c.json({ items: await ctx.db.select().from(deviceStreams) }));
}
