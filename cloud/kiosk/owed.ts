import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { addDays, businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { orders, payments, ticketTypes } from '../db/schema/index.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError, notFound } from '../http/errors.ts';
import { ledger } from '../ledger/index.ts';
import { appendAudit, auditedTx } from '../office/audit.ts';
import { takeCapacity } from '../office/pricing/pricing.ts';

const owedView = z.object({
  id: z.string(), site: z.string(), kiosk: z.string().nullable(), status: z.string(), createdAt: z.string(), totalFen: z.number().int(),
  heldFen: z.number().int().describe('Paid and not yet refunded'), providerRef: z.string().nullable(), items: z.unknown(),
}).meta({ id: 'KioskOwed' });
const idParam = z.object({ id: z.string().uuid() });

async function owedRow(ctx: CloudContext, id: string) {
  const [o] = await ctx.db.select().from(orders).where(and(eq(orders.id, id), eq(orders.channel, 'kiosk')));
  if (!o) throw notFound('kiosk sale', id);
  const ps = await ctx.db.select().from(payments).where(eq(payments.orderId, id)).orderBy(asc(payments.createdAt));
  return {
    id: o.id, site: o.site, kiosk: o.source, status: o.status, createdAt: o.createdAt.toISOString(), totalFen: o.totalFen,
    heldFen: ps.reduce((s, p) => s + p.amountFen, 0), providerRef: ps.find((p) => p.amountFen > 0)?.reference ?? null, items: (o.request as { items?: unknown }).items ?? [],
  };
}

/**
 * Kiosk sales paid at the provider whose tickets were not issued (orders `owed`, written by
 * cloud/kiosk/routes.ts through ledger.owe): finance lists them, refunds the visitor (the
 * refund is in the refunder's book, by the method paid) or issues the tickets after all.
 * Either way the reconciliation's "已扣款未出票" difference of that day goes away.
 */
export function kioskOwedRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/owed', endpoint({
      summary: '自助机已扣款未出票 / kiosk sales paid and not issued, still owed', query: z.object({ from: z.iso.date().optional(), to: z.iso.date().optional() }),
      responses: { 200: z.object({ items: z.array(owedView) }) },
    }), async (c) => {
      const q = c.req.valid('query');
      const tz = ctx.config.timeZone;
      const rows = await ctx.db.select({ id: orders.id }).from(orders).where(and(eq(orders.channel, 'kiosk'), eq(orders.status, 'owed'),
        q.from ? gte(orders.createdAt, new Date(startOfBusinessDay(q.from, tz))) : undefined, q.to ? lt(orders.createdAt, new Date(startOfBusinessDay(addDays(q.to, 1), tz))) : undefined))
        .orderBy(asc(orders.createdAt));
      return c.json({ items: await Promise.all(rows.map((r) => owedRow(ctx, r.id))) });
    })
    .post('/:id/refund', endpoint({
      summary: '退还自助机已扣款未出票 / refund a kiosk sale that was paid and not issued', params: idParam, body: z.strictObject({ reason: z.string().min(1).max(200).default('自助机出票失败退款') }),
      responses: { 201: owedView }, signedIn: true,
    }), async (c) => {
      const { id } = c.req.valid('param');
      const user = c.get('user');
      const at = ctx.now();
      await auditedTx(ctx.db, async (tx) => {
        const [order] = await tx.select().from(orders).where(and(eq(orders.id, id), eq(orders.channel, 'kiosk'))).for('update');
        if (!order) throw notFound('kiosk sale', id);
        if (order.status !== 'owed') throw new AppError('order_not_owed', `订单状态为 ${order.status} / order is ${order.status}, not owed`, 409);
        const actor = await ledger.staffActor(tx, user);
        await ledger.refund(tx, actor, { order, amountFen: order.totalFen, reason: c.req.valid('json').reason, at });
        await tx.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, id));
        await appendAudit(tx, { at, actor: actor.name, action: 'order_status', subject: id, body: { status: 'cancelled', why: 'owed refunded' } });
      });
      return c.json(await owedRow(ctx, id), 201);
    })
    .post('/:id/issue', endpoint({
      summary: '为自助机已扣款订单补出票 / issue the tickets of a kiosk sale paid and not issued', params: idParam,
      responses: { 201: owedView.extend({ tickets: z.array(z.object({ id: z.string(), code: z.string() })) }) }, signedIn: true,
    }), async (c) => {
      const { id } = c.req.valid('param');
      const user = c.get('user');
      const at = ctx.now();
      const tz = ctx.config.timeZone;
      const day = businessDay(at, tz);
      const tickets = await auditedTx(ctx.db, async (tx) => {
        const [order] = await tx.select().from(orders).where(and(eq(orders.id, id), eq(orders.channel, 'kiosk'))).for('update');
        if (!order) throw notFound('kiosk sale', id);
        if (order.status !== 'owed') throw new AppError('order_not_owed', `订单状态为 ${order.status} / order is ${order.status}, not owed`, 409);
        const items = (order.request as { items: { type: string; quantity: number }[] }).items;
        const types = await Promise.all(items.map(async (i) => {
          const [t] = await tx.select().from(ticketTypes).where(eq(ticketTypes.code, i.type));
          if (!t) throw notFound('ticket type', i.type);
          return { item: i, type: t };
        }));
        // Issued at today's prices only if they still add up to what was paid; else it is refunded.
        const total = types.reduce((s, r) => s + r.type.priceFen * r.item.quantity, 0);
        if (total !== order.totalFen) throw new AppError('price_changed', `票价已变更，请退款 / the tickets now cost ${total}, ${order.totalFen} was paid: refund instead`, 409, { amountFen: total });
        for (const r of [...types].sort((a, b) => a.type.id - b.type.id)) await takeCapacity(tx, r.type, day, r.item.quantity * r.type.persons);
        const actor = await ledger.staffActor(tx, user);
        const lines = await ledger.issueLines(tx, ctx, actor, { orderId: id, site: order.site, at }, types.map(({ item, type }) => ({
          type, quantity: item.quantity, unitFen: type.priceFen, validFrom: startOfBusinessDay(day, tz), validUntil: startOfBusinessDay(addDays(day, type.validityDays), tz),
        })));
        await tx.update(orders).set({ status: 'issued', issuedAt: new Date(at) }).where(eq(orders.id, id));
        await appendAudit(tx, { at, actor: actor.name, action: 'order_status', subject: id, body: { status: 'issued', why: 'owed issued' } });
        return lines.flatMap((l) => l.tickets.map((t) => ({ id: t.id, code: t.code })));
      });
      ctx.notify((await owedRow(ctx, id)).site);
      return c.json({ ...(await owedRow(ctx, id)), tickets }, 201);
    });
}
