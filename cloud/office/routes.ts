import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import type { SignedInEnv } from '../http/env.ts';
import { jsonBody } from '../http/errors.ts';
import { idempotency } from '../http/idempotency.ts';
import { addLedgerEntry, createAccount, createVoucher, getAccount, getVoucher, patchAccount } from './accounts.ts';
import { refundOrder, reissueTicket, extendTicket } from './after-sale.ts';
import { printTicket } from './prints.ts';
import type { MobileProvider } from './mobile.ts';
import { cancelReservation, createOrder, getOrder, issueReservation, queryIntent } from './orders.ts';
import {
  createDiscount, createPriceRule, deletePriceRule, getCapacity, getGrants, listDiscounts, listHolidays, listPriceRules, putCapacity, putGrants, putHoliday,
} from './setup.ts';
import { closeShift, currentShift, getShift, openShift, printShift } from './shifts.ts';
import { createBatch, getBatch, moveStock, stockHeldBy } from './stock.ts';

/** The ticket office: catalog settings, window orders, payments, accounts, stock, shifts, audit. */
export function officeRoutes(ctx: CloudContext, mobile: MobileProvider) {
  const orders = new Hono<SignedInEnv>()
    .post('/', idempotency(ctx, { replay: async (c, ref) => c.json(await getOrder(ctx, String(ref.orderId)), 201) }),
      async (c) => c.json(await createOrder(ctx, c.get('user'), await jsonBody(c), mobile, c.get('idempotency')), 201))
    .get('/:id', async (c) => c.json(await getOrder(ctx, c.req.param('id'))))
    .post('/:id/refunds', async (c) => c.json(await refundOrder(ctx, c.get('user'), c.req.param('id'), await jsonBody(c)), 201))
    .post('/:id/issue', async (c) => c.json(await issueReservation(ctx, c.get('user'), c.req.param('id'), await jsonBody(c))))
    .post('/:id/cancel', async (c) => c.json(await cancelReservation(ctx, c.get('user'), c.req.param('id'))));
  const paymentsApp = new Hono<SignedInEnv>()
    .post('/intents/:id/query', async (c) => c.json(await queryIntent(ctx, c.get('user'), c.req.param('id'), mobile)));
  const ticketOps = new Hono<SignedInEnv>()
    .post('/:id/reissue', async (c) => c.json(await reissueTicket(ctx, c.get('user'), c.req.param('id'), await jsonBody(c)), 201))
    .post('/:id/extend', async (c) => c.json(await extendTicket(ctx, c.get('user'), c.req.param('id'), await jsonBody(c))))
    .post('/:id/prints', async (c) => c.json(await printTicket(ctx, c.get('user'), c.req.param('id'), await jsonBody(c)), 201));
  const accounts = new Hono<SignedInEnv>()
    .post('/', async (c) => c.json(await createAccount(ctx, await jsonBody(c)), 201))
    .get('/:id', async (c) => c.json(await getAccount(ctx, c.req.param('id'))))
    .patch('/:id', async (c) => c.json(await patchAccount(ctx, c.get('user'), c.req.param('id'), await jsonBody(c))))
    .post('/:id/entries', async (c) => c.json(await addLedgerEntry(ctx, c.get('user'), c.req.param('id'), await jsonBody(c)), 201));
  const voucherApp = new Hono<SignedInEnv>()
    .post('/', async (c) => c.json(await createVoucher(ctx, await jsonBody(c)), 201))
    .get('/:code', async (c) => c.json(await getVoucher(ctx, c.req.param('code'))));
  const stock = new Hono<SignedInEnv>()
    .post('/batches', async (c) => c.json(await createBatch(ctx, c.get('user'), await jsonBody(c)), 201))
    .get('/batches/:id', async (c) => c.json(await getBatch(ctx, c.req.param('id'))))
    .get('/held/:userId', async (c) => c.json(await stockHeldBy(ctx, c.req.param('userId'))))
    .post('/receive', async (c) => c.json(await moveStock(ctx, c.get('user'), 'receive', await jsonBody(c))))
    .post('/issue', async (c) => c.json(await moveStock(ctx, c.get('user'), 'issue', await jsonBody(c))))
    .post('/return', async (c) => c.json(await moveStock(ctx, c.get('user'), 'return', await jsonBody(c))))
    .post('/void', async (c) => c.json(await moveStock(ctx, c.get('user'), 'void', await jsonBody(c))));
  const shiftApp = new Hono<SignedInEnv>()
    .post('/', async (c) => c.json(await openShift(ctx, c.get('user'), await jsonBody(c)), 201))
    .get('/current', async (c) => c.json(await currentShift(ctx, c.get('user'))))
    .get('/:id', async (c) => c.json(await getShift(ctx, c.req.param('id'))))
    .get('/:id/print', async (c) => c.text(await printShift(ctx, c.req.param('id'))))
    .post('/:id/close', async (c) => c.json(await closeShift(ctx, c.get('user'), c.req.param('id'), await jsonBody(c))));
  return new Hono<SignedInEnv>()
    .route('/orders', orders)
    .route('/payments', paymentsApp)
    .route('/tickets', ticketOps)
    .route('/customer-accounts', accounts)
    .route('/vouchers', voucherApp)
    .route('/stock', stock)
    .route('/shifts', shiftApp)
    .get('/discounts', async (c) => c.json({ items: await listDiscounts(ctx) }))
    .post('/discounts', async (c) => c.json(await createDiscount(ctx, await jsonBody(c)), 201))
    .get('/price-rules', async (c) => c.json({ items: await listPriceRules(ctx, c.req.query('type')) }))
    .post('/price-rules', async (c) => c.json(await createPriceRule(ctx, await jsonBody(c)), 201))
    .delete('/price-rules/:id', async (c) => c.json(await deletePriceRule(ctx, c.req.param('id'))))
    .get('/holidays', async (c) => c.json({ items: await listHolidays(ctx) }))
    .put('/holidays/:day', async (c) => c.json(await putHoliday(ctx, c.req.param('day'), await jsonBody(c))))
    .get('/capacity/:type/:day', async (c) => c.json(await getCapacity(ctx, c.req.param('type'), c.req.param('day'))))
    .put('/capacity/:type/:day', async (c) => c.json(await putCapacity(ctx, c.get('user'), c.req.param('type'), c.req.param('day'), await jsonBody(c))))
    .get('/sellers/:id/grants', async (c) => c.json(await getGrants(ctx, c.req.param('id'))))
    .put('/sellers/:id/grants', async (c) => c.json(await putGrants(ctx, c.get('user'), c.req.param('id'), await jsonBody(c))));
}
