import { z } from 'zod';

/** Request and answer shapes of the booking API; the OpenAPI document is made from these. */

// Whether it is a calendar day is checked by the services (isCalendarDay), which answer the
// channel API's own code, invalid_day.
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD');

export const bookingRequest = z.object({
  visitDay: day.describe('Visit day in the site time zone'),
  items: z.array(z.object({
    type: z.string().min(1).max(32).describe('Ticket type code'),
    quantity: z.number().int().min(1).max(200),
  })).min(1).max(10)
    .refine((items) => new Set(items.map((i) => i.type)).size === items.length, { message: 'each ticket type at most once' }),
  contact: z.object({
    name: z.string().trim().min(1).max(64),
    phone: z.string().min(5).max(20).describe('Mainland mobile number'),
    idNumber: z.string().min(15).max(20).optional().describe('Resident ID card number (GB 11643): pickup by ID and visitor origin'),
  }),
  externalRef: z.string().min(1).max(64).optional().describe('The channel\'s own order number'),
  slot: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM').optional().describe('Start of the time slot (分时预约), e.g. "10:00"; required on days sold by slot'),
}).strict();
export type BookingRequest = z.infer<typeof bookingRequest>;

export const payRequest = z.object({
  amountFen: z.number().int().min(0).describe('Amount collected, in fen; must equal the booking total'),
  paymentRef: z.string().min(1).max(64).describe('The channel\'s or payment provider\'s transaction id'),
}).strict();
export type PayRequest = z.infer<typeof payRequest>;

export const cancelRequest = z.object({
  reason: z.string().min(1).max(200).optional(),
}).strict();

export const bookedTicket = z.object({
  id: z.string(),
  type: z.string(),
  code: z.string().describe('Signed ticket code: show as a QR code at the gate'),
  persons: z.number().int(),
  validFrom: z.string(),
  validUntil: z.string(),
  revoked: z.string().nullable(),
});

export const bookingView = z.object({
  orderNo: z.string(),
  channel: z.string(),
  externalRef: z.string().nullable(),
  site: z.string(),
  visitDay: day,
  slot: z.object({ from: z.string(), to: z.string() }).nullable().describe('The booked time slot, site-local'),
  state: z.enum(['booked', 'issued', 'picked_up', 'cancelled', 'expired']),
  contact: z.object({ name: z.string(), phoneLast4: z.string() }),
  items: z.array(z.object({ type: z.string(), quantity: z.number().int(), unitPriceFen: z.number().int() })),
  quantity: z.number().int(),
  totalFen: z.number().int(),
  pickupCode: z.string().describe('What the booking\'s QR carries: pickup at a window or kiosk'),
  holdUntil: z.string().nullable(),
  paidAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  pickedUpAt: z.string().nullable(),
  tickets: z.array(bookedTicket),
});
export type BookingView = z.infer<typeof bookingView>;

export const productsQuery = z.object({ day: day.optional() });
export const productsView = z.object({
  day,
  quota: z.number().int().nullable(),
  remaining: z.number().int().nullable(),
  products: z.array(z.object({ type: z.string(), name: z.string(), priceFen: z.number().int(), persons: z.number().int(), validityDays: z.number().int() })),
});

export const reconciliationQuery = z.object({ day });
export const reconciliationView = z.object({
  channel: z.string(),
  day,
  timeZone: z.string(),
  booked: z.object({ count: z.number().int(), tickets: z.number().int(), amountFen: z.number().int() }),
  paid: z.object({ count: z.number().int(), tickets: z.number().int(), amountFen: z.number().int() }),
  cancelled: z.object({ count: z.number().int(), tickets: z.number().int(), amountFen: z.number().int(), refundFen: z.number().int() }),
  pickedUp: z.object({ count: z.number().int(), tickets: z.number().int() }),
  netFen: z.number().int().describe('Paid minus refunded on this day'),
  orders: z.array(z.object({
    orderNo: z.string(), externalRef: z.string().nullable(), state: z.string(), visitDay: day,
    quantity: z.number().int(), totalFen: z.number().int(), paymentRef: z.string().nullable(),
    createdAt: z.string(), paidAt: z.string().nullable(), cancelledAt: z.string().nullable(), pickedUpAt: z.string().nullable(),
  })),
});

/** A channel as administrators see it (never its key's hash). */
export const channelAdminView = z.object({
  id: z.number().int(), code: z.string(), name: z.string(), kind: z.string(), site: z.string(),
  keyPrefix: z.string().describe('First characters of the key, to tell keys apart'), dailyQuota: z.number().int().nullable(),
  cancelCutoffMinutes: z.number().int(), maxDaysAhead: z.number().int(), holdMinutes: z.number().int(), customerId: z.number().int().nullable(),
  active: z.boolean(), createdAt: z.string(),
}).meta({ id: 'Channel' });
export const channelPriceView = z.object({ type: z.string(), name: z.string(), priceFen: z.number().int(), persons: z.number().int(), validityDays: z.number().int() });
export const flaggedPickupView = z.object({
  pickupId: z.string(), bookingId: z.string(), orderNo: z.string(), site: z.string(), device: z.string(), at: z.string(), offline: z.boolean(),
  flag: z.string().nullable().describe('duplicate: picked up already elsewhere; cancelled: the booking was cancelled'), receivedAt: z.string(),
});
export const devicePickupResults = z.object({
  results: z.array(z.object({
    pickupId: z.string(), orderNo: z.string(), result: z.enum(['picked_up', 'duplicate', 'cancelled', 'not_paid', 'unknown_booking', 'wrong_site', 'rejected']),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })),
});

export const errorView = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
