import { auditPage, auditQuery, searchAudit } from './audit.ts';
import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { accountsPage, accountsQuery, entriesPage, entriesQuery, searchAccounts, searchEntries } from './accounts.ts';
import { ordersPage, ordersQuery, searchOrders } from './orders.ts';
import { paymentsPage, paymentsQuery, refundsPage, refundsQuery, searchPayments, searchRefunds } from './payments.ts';
import { searchShifts, shiftsPage, shiftsQuery } from './shifts.ts';
import { batchesPage, batchesQuery, itemsPage, itemsQuery, searchBatches, searchItems } from './stock.ts';
import { searchTickets, ticketsPage, ticketsQuery } from './tickets.ts';
import { searchVouchers, vouchersPage, vouchersQuery } from './vouchers.ts';

const tags = ['lists'];

/**
 * The lists of the back office, mounted at the root of /api/v1 beside the modules that own
 * the rows: read-only, filtered, sorted, cursor-paged (see paging.ts). Who may read which
 * is in auth/policy.ts; a seller without an office role sees only their own orders,
 * payments, refunds and shifts.
 */
export function searchRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/orders', endpoint({ tags, summary: '订单列表 / orders', query: ordersQuery, responses: { 200: ordersPage }, signedIn: true }),
      async (c) => c.json(await searchOrders(ctx, c.get('user'), c.req.valid('query'))))
    .get('/audit/log', endpoint({ tags, summary: '审计日志 / the audit chain, newest first: by who, what, subject and days', query: auditQuery, responses: { 200: auditPage } }),
      async (c) => c.json(await searchAudit(ctx, c.req.valid('query'))))
    .get('/tickets', endpoint({ tags, summary: '门票列表 / tickets', query: ticketsQuery, responses: { 200: ticketsPage } }),
      async (c) => c.json(await searchTickets(ctx, c.req.valid('query'))))
    .get('/payments', endpoint({ tags, summary: '收款列表 / payments (refunds paid back are negative)', query: paymentsQuery, responses: { 200: paymentsPage }, signedIn: true }),
      async (c) => c.json(await searchPayments(ctx, c.get('user'), c.req.valid('query'))))
    .get('/refunds', endpoint({ tags, summary: '退款列表 / refunds', query: refundsQuery, responses: { 200: refundsPage }, signedIn: true }),
      async (c) => c.json(await searchRefunds(ctx, c.get('user'), c.req.valid('query'))))
    .get('/shifts', endpoint({ tags, summary: '班次列表 / shifts', query: shiftsQuery, responses: { 200: shiftsPage }, signedIn: true }),
      async (c) => c.json(await searchShifts(ctx, c.get('user'), c.req.valid('query'))))
    .get('/customer-accounts', endpoint({ tags, summary: '客户账户列表 / customer accounts with balances', query: accountsQuery, responses: { 200: accountsPage } }),
      async (c) => c.json(await searchAccounts(ctx, c.req.valid('query'))))
    .get('/customer-accounts/:id/entries', endpoint({
      tags, summary: '账户流水 / an account\'s entries', params: z.object({ id: z.string() }), query: entriesQuery, responses: { 200: entriesPage },
    }), async (c) => c.json(await searchEntries(ctx, c.req.valid('param').id, c.req.valid('query'))))
    .get('/vouchers', endpoint({ tags, summary: '代金券列表 / vouchers', query: vouchersQuery, responses: { 200: vouchersPage } }),
      async (c) => c.json(await searchVouchers(ctx, c.req.valid('query'))))
    .get('/stock/batches', endpoint({ tags, summary: '票卡批次 / stock batches, their serials counted by state', query: batchesQuery, responses: { 200: batchesPage } }),
      async (c) => c.json(await searchBatches(ctx, c.req.valid('query'))))
    .get('/stock/items', endpoint({ tags, summary: '票号去向 / where every serial is', query: itemsQuery, responses: { 200: itemsPage } }),
      async (c) => c.json(await searchItems(ctx, c.req.valid('query'))));
}
