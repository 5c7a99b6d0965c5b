import { z } from 'zod';

/**
 * The answers of the window office's routes (the routes.ts of each cloud/office folder declare them), as its
 * services return them. The OpenAPI document describes them and the app's generated client is
 * typed by them: a service that changes its answer changes the document, and the app's
 * typecheck says where it breaks. `openapi/responses.test.ts` holds real answers to them.
 */
const id = z.string();
const instant = z.string().describe('ISO instant');
const day = z.string().describe('YYYY-MM-DD, business day in the site\'s zone');
const fen = z.number().int();
const METHOD = z.enum(['cash', 'card', 'mobile', 'voucher', 'points', 'deposit', 'on_account', 'signed_bill', 'channel']);

export const orderTicketView = z.object({
  id, code: z.string(), persons: z.number().int(), entries: z.number().int(), priceFen: fen,
  validFrom: instant, validUntil: instant, revoked: z.string().nullable(),
});
export const orderView = z.object({
  id, site: z.string(), status: z.enum(['reserved', 'pending', 'issued', 'cancelled']), visitDay: day,
  sellerId: id.nullable().describe('Null for a kiosk or a channel'), shiftId: id.nullable(), accountId: id.nullable(),
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
  seller: z.object({ id: id.nullable().describe('Null for a kiosk\'s shift'), username: z.string(), displayName: z.string() }),
  openedAt: instant, closedAt: instant, floatFen: fen,
  payments: z.array(z.object({ method: z.string(), chargesFen: fen, refundsFen: fen, expectedFen: fen, countedFen: fen.nullable(), differenceFen: fen.nullable() })),
  totals: z.object({ chargesFen: fen, refundsFen: fen }),
  orders: z.number().int(),
  tickets: z.array(z.object({ type: z.string(), quantity: z.number().int(), persons: z.number().int(), amountFen: fen })),
  refunds: z.object({ count: z.number().int(), amountFen: fen, tickets: z.number().int() }),
  refundedElsewhere: z.object({ count: z.number().int(), amountFen: fen, tickets: z.number().int() }).optional().describe('Tickets sold in this shift refunded in another book (finance, another shift)'),
  stock: z.record(z.string(), z.number().int()),
  ticketEvents: z.record(z.string(), z.number().int()),
}).meta({ id: 'ShiftReport' });
export const shiftView = z.object({
  id, sellerId: id.nullable(), floatFen: fen, openedAt: instant, closedAt: instant.nullable(),
  report: shiftReportView.nullable().describe('The sealed handover report, once closed'), reportHash: z.string().nullable(),
}).meta({ id: 'Shift' });

export const printView = z.object({
  ticketId: id, printNo: z.number().int().describe('1 for the first print, then reprints'), reprint: z.boolean(), output: z.enum(['escpos', 'png']),
  template: z.object({ code: z.string(), version: z.number().int() }).nullable().describe('null: the built-in layout'),
  data: z.string().describe('The ESC/POS job or the PNG, base64'),
}).meta({ id: 'TicketPrint' });


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

export const refundView = z.object({ refundId: id, parts: z.array(z.object({ method: METHOD, amountFen: fen })).describe('How the refund was split over the methods'), order: orderView });
export const reissueView = z.object({ oldTicketId: id, ticket: orderTicketView.omit({ priceFen: true, revoked: true }) });
export const extendView = z.object({ ticketId: id, code: z.string(), validUntil: instant });
export const accountEntryView = accountView.extend({ entry: z.object({ id, ledger: z.string(), amount: z.number().int(), note: z.string().nullable(), createdAt: instant }) });
export const discountsView = z.object({ items: z.array(discountView) });
