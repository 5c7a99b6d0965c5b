import { z } from 'zod';
import { lookupQuery, pickupRequest } from '../channels/pickup.ts';
import { bookingView } from '../channels/schemas.ts';
import type { EndpointSpec } from '../http/endpoint.ts';
import { reportQuery } from '../reports/routes.ts';

/**
 * The answers of the routes declared in declared.ts that the back office app reads, as the
 * services return them (cloud/office, cloud/members, cloud/reports, ...). Declared here so the
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

export const ticketTypeView = z.object({
  id: z.number().int(), code: z.string(), name: z.string(), priceFen: fen, validityDays: z.number().int(), entries: z.number().int(), persons: z.number().int(),
  medium: z.string(), saleMethods: z.array(z.string()), category: z.string(), dailyCapacity: z.number().int().nullable(), active: z.boolean(),
}).meta({ id: 'TicketType' });
export const discountView = z.object({
  id: z.number().int(), code: z.string(), name: z.string(), kind: z.enum(['percent', 'fixed']), value: z.number().int(),
  customerCategory: z.string().nullable(), active: z.boolean(),
}).meta({ id: 'Discount' });

const memberView = z.object({ id, name: z.string(), sex: z.string().nullable(), phone: z.string(), idNumber: z.string().nullable(), employeeNo: z.string().nullable(), createdAt: instant });
export const memberCardView = z.object({
  cardNo: z.string(), kind: z.string(), type: z.string(), state: z.string(), expired: z.boolean(), cardUid: z.string().nullable(),
  validFrom: day, expiresOn: day, replacedBy: z.string().nullable(), member: memberView,
  ticket: z.object({ id, code: z.string(), validFrom: instant, validUntil: instant, entries: z.number().int(), revoked: z.string().nullable() }),
  events: z.array(z.object({ event: z.string(), priceFen: fen.nullable(), expiresBefore: day.nullable(), expiresAfter: day.nullable(), ticketId: id.nullable(), note: z.string().nullable(), at: instant })),
}).meta({ id: 'MemberCard' });
export const membersView = z.array(memberView.extend({
  cards: z.array(z.object({ cardNo: z.string(), kind: z.string(), type: z.string(), state: z.string(), expiresOn: day, expired: z.boolean(), cardUid: z.string().nullable(), ticketId: id })),
}));

export const reportListView = z.object({
  timeZone: z.string(),
  reports: z.array(z.object({ name: z.string(), title: z.string(), titleEn: z.string(), ranged: z.boolean(), source: z.string() })),
}).meta({ id: 'ReportList' });
const cell = z.union([z.string(), z.number(), z.null()]);
export const reportResultView = z.object({
  report: z.string(), title: z.string(), source: z.string(), from: day.nullable(), to: day.nullable(), at: instant.nullable(),
  timeZone: z.string(), site: z.string().nullable(), generatedAt: instant,
  columns: z.array(z.object({ key: z.string(), label: z.string(), type: z.enum(['text', 'day', 'int', 'number', 'fen', 'instant']) })),
  rows: z.array(z.record(z.string(), cell)),
  totals: z.record(z.string(), cell),
}).meta({ id: 'Report' });

const booking = bookingView.meta({ id: 'Booking' });
export const pickupView = z.object({ pickupId: z.string(), orderNo: z.string(), result: z.string(), booking });

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
  'GET /members': { 200: membersView },
  'POST /members/cards': { 201: memberCardView },
  'GET /members/cards/:cardNo': { 200: memberCardView },
  'POST /members/cards/:cardNo/renew': { 200: memberCardView },
  'POST /members/cards/:cardNo/reissue': { 201: memberCardView },
};

/** Routes the app reads that carry no declaration yet (a route's own endpoint() wins over these). */
export const APP_READS: Record<string, EndpointSpec> = {
  'GET /ticket-types': { summary: '票种 / ticket types', responses: { 200: z.object({ items: z.array(ticketTypeView) }) } },
  'GET /reports': { summary: '报表目录 / the reports there are', responses: { 200: reportListView } },
  'GET /reports/:name': {
    summary: '报表 / one report over whole business days (name.csv / name.xlsx, or format=, for a download)', query: reportQuery,
    responses: { 200: reportResultView } as EndpointSpec['responses'],
  },
  'GET /pickups/lookup': { summary: '查找取票订单 / bookings to hand out: order and phone, phone, ID number or QR', query: lookupQuery, responses: { 200: z.array(booking) } },
  'POST /pickups': { summary: '窗口取票 / a window hands a booking out (idempotent on pickupId)', body: pickupRequest, responses: { 200: pickupView } },
};

/** Adds the answers above to declarations that have none of their own for that status, and the routes above. */
export function withResponses(declared: Record<string, EndpointSpec>): Record<string, EndpointSpec> {
  const out = { ...APP_READS, ...declared };
  for (const [key, responses] of Object.entries(RESPONSES)) {
    const d = out[key];
    if (!d) continue;
    const kept = Object.fromEntries(Object.entries(d.responses ?? {}).filter(([, v]) => !('description' in (v as object)) || 'schema' in (v as object)));
    out[key] = { ...d, responses: { ...responses, ...kept } };
  }
  return out;
}
