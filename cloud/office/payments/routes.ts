import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../../context.ts';
import { endpoint } from '../../http/endpoint.ts';
import type { CloudEnv } from '../../http/env.ts';
import { idempotency } from '../../http/idempotency.ts';
import { accountEntryView, accountView, orderView } from '../../openapi/responses.ts';
import { queryIntent } from '../orders/orders.ts';
import { accountPatch, addLedgerEntry, createAccount, entryAnswer, createVoucher, getAccount, getVoucher, ledgerEntry, newAccount, newVoucher, patchAccount } from './accounts.ts';
import type { MobileProvider } from './mobile.ts';

const id = z.object({ id: z.string() });

/**
 * Money that is not cash in the till: mobile payments waiting for the provider, customer
 * accounts (deposit, points, credit) and vouchers. Their entries are written by the ledger.
 */
export function paymentRoutes(ctx: CloudContext, mobile: MobileProvider) {
  const accounts = new Hono<CloudEnv>()
    .post('/', endpoint({ summary: '新建客户账户 / a customer account (deposit, points, credit)', body: newAccount, responses: { 201: accountView } }),
      async (c) => c.json(await createAccount(ctx, c.req.valid('json')), 201))
    .get('/:id', endpoint({ summary: '客户账户 / an account with its balances', params: id, responses: { 200: accountView } }),
      async (c) => c.json(await getAccount(ctx, c.req.valid('param').id)))
    .patch('/:id', endpoint({ summary: '修改客户账户 / credit limit, name, active', params: id, body: accountPatch, responses: { 200: accountView }, signedIn: true }),
      async (c) => c.json(await patchAccount(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'))))
    .post('/:id/entries', idempotency(ctx, { replay: async (c, ref) => c.json(await entryAnswer(ctx, String(ref.accountId), String(ref.entryId)), 201) }), endpoint({ summary: '账户记账 / deposit, points, credit repayment', params: id, body: ledgerEntry, responses: { 201: accountEntryView }, signedIn: true }),
      async (c) => c.json(await addLedgerEntry(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'), c.get('idempotency')), 201));
  const vouchers = new Hono<CloudEnv>()
    .post('/', endpoint({ summary: '新建代金券 / a voucher', body: newVoucher, responses: { 201: { description: 'The voucher' } } }),
      async (c) => c.json(await createVoucher(ctx, c.req.valid('json')), 201))
    .get('/:code', endpoint({ summary: '代金券 / a voucher and whether it was used', params: z.object({ code: z.string() }) }),
      async (c) => c.json(await getVoucher(ctx, c.req.valid('param').code)));
  return new Hono<CloudEnv>()
    .post('/payments/intents/:id/query', endpoint({ summary: '查询移动支付 / ask the provider about a pending mobile payment', params: id, responses: { 200: orderView }, signedIn: true }),
      async (c) => c.json(await queryIntent(ctx, c.get('user'), c.req.valid('param').id, mobile)))
    .route('/customer-accounts', accounts)
    .route('/vouchers', vouchers);
}
