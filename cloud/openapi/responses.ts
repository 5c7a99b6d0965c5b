import { z } from 'zod';
import type { EndpointSpec } from '../http/endpoint.ts';

/**
 * The answers of the routes declared in declared.ts that the back office app reads, as the
 * services return them (cloud/office, cloud/reports, ...). Declared here so the
 * OpenAPI document describes them and the app's generated client is typed by them: a service
 * that changes its answer changes the document, and the app's typecheck says where it breaks.
 * `openapi/responses.test.ts` holds real answers to these schemas.
 */
const id = z.string();
const instant = z.string().describe('ISO instant');
const day = z.string().describe('YYYY-MM-DD, business day in the site\'s zone');
const fen = z.number().int();
const METHOD = z.enum(['cash', 'card', 'mobile', 'voucher', 'points', 'deposit', 'on_account', 'signed_bill']);

export const orderTicketView = z.object({
  id, code: z.string(), persons: z.number().int(), entries: z.number().int(), priceFen: fen,
  validFrom: instant, validUntil: instant, revoked: z.string().nullable(),
});
export const orderView = z.object({
  id, site: z.string(), status: z.enum(['reserved', 'pending', 'issued', 'cancelled']), visitDay: day,
  sellerId: id, shiftId: id.nullable(), accountId: id.nullable(),
  totalFen: fen, paidFen: fen, refundedFen: fen, netFen: fen, createdAt: instant,
  lines: z.array(z.object({
    saleId: id, type: z.string(), quantity: z.number().int(), group: z.string().nullable(), listPriceFen: fen.nullable(), unitPriceFen: fen,
    discount: z.string().nullable(), totalFen: fen, tickets: z.array(orderTicketView),
  })),
  payments: z.array(z.object({
    id, method: METHOD, amountFen: fen.describe('Negative: money given back (refundId set)'), tenderedFen: fen.nullable(), changeFen: fen.nullable(),
    reference: z.string().nullable(), refundId: id.nullable(), createdAt: instant,
  })),
  intents: z.array(z.object({ id, provider: z.string(), amountFen: fen, status: z.string() })),
}).meta({ id: 'Order' });

export const shiftReportView = z.object({
  shiftId: id,
  seller: z.object({ id, username: z.string(), displayName: z.string() }),
  openedAt: instant, closedAt: instant, floatFen: fen,
  payments: z.array(z.object({ method: z.string(), chargesFen: fen, refundsFen: fen, expectedFen: fen, countedFen: fen.nullable(), differenceFen: fen.nullable() })),
  totals: z.object({ chargesFen: fen, refundsFen: fen }),
  orders: z.number().int(),
  tickets: z.array(z.object({ type: z.string(), quantity: z.number().int(), persons: z.number().int(), amountFen: fen })),
  refunds: z.object({ count: z.number().int(), amountFen: fen, tickets: z.number().int() }),
  stock: z.record(z.string(), z.number().int()),
  ticketEvents: z.record(z.string(), z.number().int()),
}).meta({ id: 'ShiftReport' });
export const shiftView = z.object({
  id, sellerId: id, floatFen: fen, openedAt: instant, closedAt: instant.nullable(),
  report: shiftReportView.nullable().describe('The sealed handover report, once closed'), reportHash: z.string().nullable(),
}).meta({ id: 'Shift' });

export const printView = z.object({
  ticketId: id, printNo: z.number().int().describe('1 for the first print, then reprints'), reprint: z.boolean(), output: z.enum(['escpos', 'png']),
  template: z.object({ code: z.string(), version: z.number().int() }).nullable().describe('null: the built-in layout'),
  data: z.string().describe('The ESC/POS job or the PNG, base64'),
}).meta({ id: 'TicketPrint' });

export const auditVerdictView = z.object({
  ok: z.boolean(), records: z.number().int(), head: z.string(),
  problems: z.array(z.object({ seq: z.number().int().optional(), subject: z.string().optional(), problem: z.string() })),
}).meta({ id: 'AuditVerdict' });

const balances = z.object({ deposit: fen, points: z.number().int(), credit: fen });
export const accountView = z.object({
  id, name: z.string(), category: z.string(), creditLimitFen: fen, customerId: z.number().int().nullable(), active: z.boolean(), createdAt: instant,
  balances, creditAvailableFen: fen,
}).meta({ id: 'CustomerAccount' });

export const stockBatchView = z.object({
  id, typeId: z.number().int(), prefix: z.string(), firstNumber: z.number().int(), count: z.number().int(), createdAt: instant,
  byStatus: z.record(z.string(), z.number().int()), total: z.number().int(),
}).meta({ id: 'StockBatch' });

export const discountView = z.object({
  id: z.number().int(), code: z.string(), name: z.string(), kind: z.enum(['percent', 'fixed']), value: z.number().int(),
  customerCategory: z.string().nullable(), active: z.boolean(),
}).meta({ id: 'Discount' });

/** "METHOD /path" -> the answers to add to its declaration. */
export const RESPONSES: Record<string, EndpointSpec['responses']> = {
  'POST /orders': { 201: orderView },
  'GET /orders/:id': { 200: orderView },
  'POST /orders/:id/refunds': { 201: z.object({ refundId: id, order: orderView }) },
  'POST /orders/:id/issue': { 200: orderView },
  'POST /orders/:id/cancel': { 200: orderView },
  'POST /payments/intents/:id/query': { 200: orderView },
  'POST /tickets/:id/reissue': { 201: z.object({ oldTicketId: id, ticket: orderTicketView.omit({ priceFen: true, revoked: true }) }) },
  'POST /tickets/:id/extend': { 200: z.object({ ticketId: id, code: z.string(), validUntil: instant }) },
  'POST /tickets/:id/prints': { 201: printView },
  'GET /customer-accounts/:id': { 200: accountView },
  'PATCH /customer-accounts/:id': { 200: accountView },
  'POST /customer-accounts/:id/entries': { 201: accountView.extend({ entry: z.object({ id, ledger: z.string(), amount: z.number().int(), note: z.string().nullable(), createdAt: instant }) }) },
  'GET /stock/batches/:id': { 200: stockBatchView },
  'POST /shifts': { 201: shiftView },
  'GET /shifts/current': { 200: shiftView },
  'GET /shifts/:id': { 200: shiftView },
  'POST /shifts/:id/close': { 200: shiftView },
  'GET /discounts': { 200: z.object({ items: z.array(discountView) }) },
  'GET /audit/verify': { 200: auditVerdictView },
};

/** Adds the answers above to declarations that have none of their own for that status. */
export function withResponses(declared: Record<string, EndpointSpec>): Record<string, EndpointSpec> {
  const out = { ...declared };
  for (const [key, responses] of Object.entries(RESPONSES)) {
    const d = out[key];
    if (!d) continue;
    const kept = Object.fromEntries(Object.entries(d.responses ?? {}).filter(([, v]) => !('description' in (v as object)) || 'schema' in (v as object)));
    out[key] = { ...d, responses: { ...responses, ...kept } };
  }
  return out;
}
