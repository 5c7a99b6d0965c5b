import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../../context.ts';
import { endpoint } from '../../http/endpoint.ts';
import type { CloudEnv } from '../../http/env.ts';
import { idempotency } from '../../http/idempotency.ts';
import { extendView, orderView, printView, refundView, reissueView } from '../../openapi/responses.ts';
import type { MobileProvider } from '../payments/mobile.ts';
import { extendRequest, extendTicket, refundAnswer, refundOrder, refundRequest, reissueRequest, reissueTicket } from './after-sale.ts';
import { cancelReservation, createOrder, getOrder, issueReservation, issueRequest, orderRequest } from './orders.ts';
import { printRequest, printTicket } from './prints.ts';

const id = z.object({ id: z.string() });

/**
 * The window's orders: a sale (lines, discounts, split payments, or a group's reservation),
 * what follows a sale (refund, reissue, extension, print). Each write goes through the ledger
 * (cloud/ledger) with its audit record in the same transaction.
 */
export function orderRoutes(ctx: CloudContext, mobile: MobileProvider) {
  const orders = new Hono<CloudEnv>()
    .post('/', idempotency(ctx, { lookupAfter: true, replay: async (c, ref) => c.json(await getOrder(ctx, String(ref.orderId)), 201) }), endpoint({
      summary: '售票下单 / sell: lines, discounts, split payments; reserve for groups', body: orderRequest.meta({ id: 'OrderRequest' }), responses: { 201: orderView }, signedIn: true,
    }), async (c) => c.json(await createOrder(ctx, c.get('user'), c.req.valid('json'), mobile, c.get('idempotency')), 201))
    .get('/:id', endpoint({ summary: '订单 / one order with its lines, tickets and payments', params: id, responses: { 200: orderView } }),
      async (c) => c.json(await getOrder(ctx, c.req.valid('param').id)))
    .post('/:id/refunds', idempotency(ctx, { replay: async (c, ref) => c.json(await refundAnswer(ctx, String(ref.orderId), String(ref.refundId)), 201) }), endpoint({ summary: '退款 / refund all or part of an order', params: id, body: refundRequest.meta({ id: 'RefundRequest' }), responses: { 201: refundView }, signedIn: true }),
      async (c) => c.json(await refundOrder(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'), c.get('idempotency')), 201))
    .post('/:id/issue', endpoint({ summary: '预留出票 / take payment for a reservation and issue it', params: id, body: issueRequest, responses: { 200: orderView }, signedIn: true }),
      async (c) => c.json(await issueReservation(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'))))
    .post('/:id/cancel', endpoint({ summary: '取消预留 / cancel a reservation, giving its places back', params: id, responses: { 200: orderView }, signedIn: true }),
      async (c) => c.json(await cancelReservation(ctx, c.get('user'), c.req.valid('param').id)));
  const tickets = new Hono<CloudEnv>()
    .post('/:id/reissue', endpoint({ summary: '补票 / reissue a lost or damaged ticket', params: id, body: reissueRequest.meta({ id: 'ReissueRequest' }), responses: { 201: reissueView }, signedIn: true }),
      async (c) => c.json(await reissueTicket(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 201))
    .post('/:id/extend', endpoint({ summary: '延期 / extend a ticket', params: id, body: extendRequest, responses: { 200: extendView }, signedIn: true }),
      async (c) => c.json(await extendTicket(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'))))
    .post('/:id/prints', endpoint({ summary: '打印 / print a ticket (ESC/POS or PNG); a reprint needs a reason', params: id, body: printRequest.meta({ id: 'PrintRequest' }), responses: { 201: printView }, signedIn: true }),
      async (c) => c.json(await printTicket(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 201));
  return new Hono<CloudEnv>().route('/orders', orders).route('/tickets', tickets);
}
