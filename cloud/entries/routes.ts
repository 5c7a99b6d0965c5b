import { and, desc, eq, lt, or } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { entries, overUse } from '../db/schema/index.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { uuid } from '../../shared/sync/messages.ts';

const listQuery = z.object({
  ticket: uuid.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

/** A cursor over (time, nonce) as these lists give it out (also cloud/sync/routes.ts /entries). */
export function decodeCursor(cursor: string): { t: Date; nonce: string } {
  const [t, nonce] = Buffer.from(cursor, 'base64url').toString().split('|');
  const time = new Date(Number(t));
  if (!nonce || !t || Number.isNaN(time.getTime()) || !uuid.safeParse(nonce).success) {
    throw new AppError('invalid_cursor', 'cursor is not one this API gave out');
  }
  return { t: time, nonce };
}

export function entriesRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    // Newest first, paged with a cursor over (corrected time, nonce).
    .get('/', endpoint({ summary: '入园记录 / entries received from gates, newest first', query: listQuery }), async (c) => {
      const q = c.req.valid('query');
      const conds = [];
      if (q.ticket) conds.push(eq(entries.ticketId, q.ticket));
      if (q.cursor) {
        const { t, nonce } = decodeCursor(q.cursor);
        conds.push(or(lt(entries.correctedTime, t), and(eq(entries.correctedTime, t), lt(entries.nonce, nonce))));
      }
      const rows = await ctx.db.select().from(entries).where(and(...conds))
        .orderBy(desc(entries.correctedTime), desc(entries.nonce)).limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const next = rows.length > q.limit && last
        ? Buffer.from(`${last.correctedTime.getTime()}|${last.nonce}`).toString('base64url') : null;
      return c.json({ items: page, next });
    });
}

/** Tickets used beyond what they grant, found when entries from offline gates met at HQ. */
export function overUseRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>().get('/', endpoint({ summary: '超次使用 / tickets used beyond what they grant' }),
    async (c) => c.json({ items: await ctx.db.select().from(overUse).orderBy(desc(overUse.updatedAt)) }));
}
