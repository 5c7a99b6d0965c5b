import { and, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { shifts, users } from '../db/schema/index.ts';
import { cursorParam, dayParam, limitParam, onDays, ownRowsOnly, page, pageView, personView, sortParam, uuidParam } from './paging.ts';

export const shiftsQuery = z.object({
  seller: uuidParam.optional().describe('A seller without an office role sees only their own shifts'),
  state: z.enum(['open', 'closed']).optional(),
  from: dayParam.optional().describe('Opened on or after this business day'),
  to: dayParam.optional().describe('Opened on or before this business day'),
  differences: z.enum(['true', 'false']).transform((v) => v === 'true').optional().describe('true: only closed shifts where counted and expected differ'),
  sort: sortParam(['openedAt'], '-openedAt'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

const methodLine = z.object({
  method: z.string(), chargesFen: z.number().int(), refundsFen: z.number().int(), expectedFen: z.number().int(),
  countedFen: z.number().int().nullable(), differenceFen: z.number().int().nullable(),
});
export const shiftItem = z.object({
  id: z.string(),
  seller: personView,
  state: z.enum(['open', 'closed']),
  floatFen: z.number().int(),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
  reportHash: z.string().nullable().describe('Seal of the handover report (in the audit chain)'),
  totals: z.object({
    chargesFen: z.number().int(), refundsFen: z.number().int(), expectedFen: z.number().int(), countedFen: z.number().int(),
    differenceFen: z.number().int().describe('Counted minus expected over every method counted'),
  }).nullable().describe('From the sealed report; null while open'),
  payments: z.array(methodLine).describe('Per method, from the sealed report; empty while open'),
  orders: z.number().int().nullable(),
}).meta({ id: 'ShiftSummary' });
export const shiftsPage = pageView(shiftItem).meta({ id: 'ShiftPage' });

type Report = { payments: z.infer<typeof methodLine>[]; totals: { chargesFen: number; refundsFen: number }; orders: number };

export async function searchShifts(ctx: CloudContext, user: AuthUser, q: z.output<typeof shiftsQuery>) {
  const where: (SQL | undefined)[] = [];
  const own = ownRowsOnly(user);
  if (own) where.push(eq(shifts.sellerId, own));
  if (q.seller) where.push(eq(shifts.sellerId, q.seller));
  if (q.state) where.push(q.state === 'open' ? isNull(shifts.closedAt) : isNotNull(shifts.closedAt));
  if (q.differences !== undefined) {
    const differs = sql`exists (select 1 from jsonb_array_elements(${shifts}.report->'payments') m where coalesce((m->>'differenceFen')::bigint, 0) <> 0)`;
    where.push(isNotNull(shifts.closedAt), q.differences ? differs : sql`not ${differs}`);
  }
  where.push(...onDays(shifts.openedAt, q.from, q.to, ctx.config.timeZone));
  type Row = { shift: typeof shifts.$inferSelect; seller: { id: string; username: string; displayName: string } | null };
  const p = await page<Row>({
    sorts: { openedAt: { column: shifts.openedAt, value: (r) => r.shift.openedAt } },
    sort: q.sort, id: shifts.id, idOf: (r) => r.shift.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ shift: shifts, seller: { id: users.id, username: users.username, displayName: users.displayName } })
      .from(shifts).leftJoin(users, eq(users.id, shifts.sellerId)).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return {
    items: p.items.map(({ shift: s, seller }) => {
      const r = s.report as Report | null;
      const sum = (f: (m: z.infer<typeof methodLine>) => number | null) => (r?.payments ?? []).reduce((a, m) => a + (f(m) ?? 0), 0);
      return {
        // A kiosk's shift of the day has no seller: the kiosk stands in for one.
        id: s.id, seller: seller ?? { id: '', username: `kiosk:${s.device ?? ''}`, displayName: `自助机 ${s.device ?? ''} ${s.day ?? ''}` }, state: s.closedAt ? 'closed' as const : 'open' as const, floatFen: s.floatFen,
        openedAt: s.openedAt.toISOString(), closedAt: s.closedAt?.toISOString() ?? null, reportHash: s.reportHash,
        totals: r ? {
          chargesFen: r.totals.chargesFen, refundsFen: r.totals.refundsFen,
          expectedFen: sum((m) => m.expectedFen), countedFen: sum((m) => m.countedFen), differenceFen: sum((m) => m.differenceFen),
        } : null,
        payments: r?.payments ?? [],
        orders: r?.orders ?? null,
      };
    }),
    next: p.next,
  };
}
