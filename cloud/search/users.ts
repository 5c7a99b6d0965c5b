import { and, ilike, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { publicUser } from '../auth/service.ts';
import { PERMISSIONS, ROLES } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { users } from '../db/schema/index.ts';
import { cursorParam, limitParam, page, pageView, sortParam } from './paging.ts';

export const userView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.enum(ROLES)),
  permissions: z.array(z.enum(PERMISSIONS)),
  active: z.boolean(),
  createdAt: z.string(),
}).meta({ id: 'User' });

export const usersQuery = z.object({
  q: z.string().trim().min(1).max(64).optional().describe('Part of the username or name'),
  role: z.enum(ROLES).optional(),
  active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  sort: sortParam(['username', 'createdAt'], 'username'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const usersPage = pageView(userView).meta({ id: 'UserPage' });

/** `%`, `_` and `\` typed by a person match themselves. */
export const likeText = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function searchUsers(ctx: CloudContext, q: z.output<typeof usersQuery>) {
  const where: SQL[] = [];
  if (q.q) where.push(or(ilike(users.username, likeText(q.q)), ilike(users.displayName, likeText(q.q)))!);
  if (q.role) where.push(sql`${users.roles} @> ${JSON.stringify([q.role])}::jsonb`);
  if (q.active !== undefined) where.push(sql`${users.active} = ${q.active}`);
  const p = await page<typeof users.$inferSelect>({
    sorts: { username: { column: users.username, value: (r) => r.username }, createdAt: { column: users.createdAt, value: (r) => r.createdAt } },
    sort: q.sort, id: users.id, idOf: (r) => r.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select().from(users).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return { items: p.items.map(publicUser), next: p.next };
}
