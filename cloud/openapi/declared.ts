import { z } from 'zod';
import type { EndpointSpec } from '../http/endpoint.ts';
import { accountPatch, ledgerEntry, newAccount, newVoucher } from '../office/accounts.ts';
import { extendRequest, refundRequest, reissueRequest } from '../office/after-sale.ts';
import { issueRequest, orderRequest } from '../office/orders.ts';
import { printRequest } from '../office/prints.ts';
import { capacityBody, grantsBody, holidayBody, newDiscount, newPriceRule } from '../office/setup.ts';
import { closeRequest, openRequest } from '../office/shifts.ts';
import { moveRequest, newBatch } from '../office/stock.ts';

/**
 * Declarations of the routes that do not carry an `endpoint({...})` of their own yet: their
 * module (the window office) validates inside its services with these same exported schemas,
 * and they move to route declarations when it is next reworked. Keys: "METHOD /path" under
 * /api/v1. The coverage test (openapi.test.ts) lists them as not yet converted.
 */
const text = { description: 'Plain text', contentType: 'text/plain' };

export const DECLARED: Record<string, EndpointSpec> = {
  // Window orders (cloud/office/orders.ts, after-sale.ts)
  'POST /orders': { summary: '售票下单 / sell: lines, discounts, split payments; reserve for groups', body: orderRequest.meta({ id: 'OrderRequest' }), responses: { 201: { description: 'The order' } } },
  'GET /orders/:id': { summary: '订单 / one order with its lines, tickets and payments' },
  'POST /orders/:id/refunds': { summary: '退款 / refund all or part of an order', body: refundRequest.meta({ id: 'RefundRequest' }), responses: { 201: { description: 'The refund and the order' } } },
  'POST /orders/:id/issue': { summary: '预留出票 / take payment for a reservation and issue it', body: issueRequest },
  'POST /orders/:id/cancel': { summary: '取消预留 / cancel a reservation, giving its places back' },
  'POST /payments/intents/:id/query': { summary: '查询移动支付 / ask the provider about a pending mobile payment' },
  'POST /tickets/:id/reissue': { summary: '补票 / reissue a lost or damaged ticket', body: reissueRequest.meta({ id: 'ReissueRequest' }), responses: { 201: { description: 'The new ticket' } } },
  'POST /tickets/:id/extend': { summary: '延期 / extend a ticket', body: extendRequest },
  'POST /tickets/:id/prints': { summary: '打印 / print a ticket (ESC/POS or PNG); a reprint needs a reason', body: printRequest.meta({ id: 'PrintRequest' }), responses: { 201: { description: 'The print job' } } },
  // Customer accounts and vouchers (cloud/office/accounts.ts)
  'POST /customer-accounts': { summary: '新建客户账户 / a customer account (deposit, points, credit)', body: newAccount, responses: { 201: { description: 'The account' } } },
  'GET /customer-accounts/:id': { summary: '客户账户 / an account with its balances' },
  'PATCH /customer-accounts/:id': { summary: '修改客户账户 / credit limit, name, active', body: accountPatch },
  'POST /customer-accounts/:id/entries': { summary: '账户记账 / deposit, points, credit repayment', body: ledgerEntry, responses: { 201: { description: 'The entry' } } },
  'POST /vouchers': { summary: '新建代金券 / a voucher', body: newVoucher, responses: { 201: { description: 'The voucher' } } },
  'GET /vouchers/:code': { summary: '代金券 / a voucher and whether it was used' },
  // Stock (cloud/office/stock.ts)
  'POST /stock/batches': { summary: '入库批次 / a batch of pre-printed serials made', body: newBatch, responses: { 201: { description: 'The batch' } } },
  'GET /stock/batches/:id': { summary: '批次 / a batch with its serials counted by state' },
  'GET /stock/held/:userId': { summary: '售票员持有 / serials issued to a seller' },
  'POST /stock/receive': { summary: '票卡入库 / receive serials into the store', body: moveRequest },
  'POST /stock/issue': { summary: '票卡领用 / issue serials to a seller', body: moveRequest },
  'POST /stock/return': { summary: '票卡退回 / return serials', body: moveRequest },
  'POST /stock/void': { summary: '票卡作废 / void serials', body: moveRequest },
  // Shifts (cloud/office/shifts.ts)
  'POST /shifts': { summary: '开班 / open a shift with a float', body: openRequest, responses: { 201: { description: 'The shift' } } },
  'GET /shifts/current': { summary: '当前班次 / my open shift' },
  'GET /shifts/:id': { summary: '班次 / a shift with its sealed report once closed' },
  'GET /shifts/:id/print': { summary: '交班报表 / the sealed report as printed', responses: { 200: text } },
  'POST /shifts/:id/close': { summary: '交班 / close: counted against expected per method; the report is sealed', body: closeRequest },
  // Prices, discounts, capacity, grants (cloud/office/setup.ts)
  'GET /discounts': { summary: '折扣 / discounts' },
  'POST /discounts': { summary: '新建折扣 / a discount', body: newDiscount, responses: { 201: { description: 'The discount' } } },
  'GET /price-rules': { summary: '价格日历 / price rules', query: z.object({ type: z.string().max(32).optional() }) },
  'POST /price-rules': { summary: '新建价格规则 / a price rule', body: newPriceRule, responses: { 201: { description: 'The rule' } } },
  'DELETE /price-rules/:id': { summary: '删除价格规则 / remove a price rule' },
  'GET /holidays': { summary: '节假日 / holidays' },
  'PUT /holidays/:day': { summary: '设置节假日 / mark a day a holiday', body: holidayBody },
  'GET /capacity/:type/:day': { summary: '日限额 / capacity and places sold of a type on a day' },
  'PUT /capacity/:type/:day': { summary: '设置日限额 / set the capacity of a type on a day', body: capacityBody },
  'GET /sellers/:id/grants': { summary: '售票授权 / types and discounts a seller may sell' },
  'PUT /sellers/:id/grants': { summary: '设置售票授权 / set a seller\'s grants', body: grantsBody },
};
