import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { qrcodeLib } from '../../shared/print/code-libs.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv, CloudVariables } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { idempotency } from '../http/idempotency.ts';
import { businessDay } from '../../shared/time/zone.ts';
import {
  channelByCode, channelByKey, channelView, type Channel, channelPatch, createChannel, listChannels, listPrices, newChannel, pricesRequest, rotateKey, setPrices, updateChannel,
} from './admin.ts';
import { bookingView as viewBooking, cancelBooking, createBooking, getBooking, listBookings, payBooking, quotaLeft, type Outcome } from './bookings.ts';
import { isCalendarDay } from '../../shared/time/day.ts';
import { z } from 'zod';
import { devicePickups, flaggedPickups, lookupBookings, lookupQuery, pickupRequest, recordDevicePickups, windowPickup } from './pickup.ts';
import { reconcile } from './reconcile.ts';
import {
  bookingRequest, bookingView, cancelRequest, channelAdminView, channelPriceView, devicePickupResults, flaggedPickupView, payRequest, productsQuery, productsView, reconciliationQuery, reconciliationView,
} from './schemas.ts';

const adminBookingsQuery = z.object({ day: z.string().max(10), state: z.enum(['booked', 'issued', 'picked_up', 'cancelled', 'expired']).optional() }).strict();

const send = (c: Context, o: Outcome) => c.json(o.body as object, o.status);

/** The channel API's env: the channel the request's X-Channel-Key names. */
type ChannelEnv = { Variables: CloudVariables & { channel: Channel } };

/**
 * The key is checked before anything else of the request (a caller without a valid key learns
 * nothing about its body), then a write's Idempotency-Key, then the body (endpoint()).
 */
const channelKey = (ctx: CloudContext): MiddlewareHandler<ChannelEnv> => async (c, next) => {
  c.set('channel', await channelByKey(ctx, c.req.header('X-Channel-Key')));
  await next();
};

const tags = ['channels'];
const booking = bookingView.meta({ id: 'Booking' });
const orderNo = z.object({ orderNo: z.string().min(1).max(40) });

/**
 * The booking API for our web shop and OTA channels, authenticated by the channel's API key
 * (X-Channel-Key), not by user tokens. Every write takes an Idempotency-Key. Its own OpenAPI
 * document (GET /channels/openapi.json) is made from these declarations.
 */
export function channelApiRoutes(ctx: CloudContext) {
  const keyed = channelKey(ctx);
  // Every write: a key of the channel's own, required; a lost answer is the booking as it is now.
  // Every write of this API claims its key in the transaction that writes (./bookings.ts): the key is looked up after, not before.
  const idempotencyKey = (status: 200 | 201) => idempotency<ChannelEnv>(ctx, {
    required: true, lookupAfter: true, replay: async (c, ref) => c.json(await viewBooking(ctx.db, c.get('channel'), String(ref.bookingId)), status),
  });
  const api = new Hono<ChannelEnv>()
    .get('/products', keyed, endpoint({
      operationId: 'listProducts', tags, summary: 'Ticket types this channel sells, its prices and quota left for a day', query: productsQuery, responses: { 200: productsView.meta({ id: 'Products' }) },
    }), async (c) => {
      const ch = c.get('channel');
      const q = c.req.valid('query');
      const day = q.day ?? businessDay(ctx.now(), ctx.config.timeZone);
      if (!isCalendarDay(day)) throw new AppError('invalid_day', `not a valid day: ${day}`);
      const products = (await listPrices(ctx.db, ch)).map(({ typeId: _id, ...p }) => p);
      return c.json({ day, quota: ch.dailyQuota, remaining: await quotaLeft(ctx, ch, day), products });
    })
    .post('/bookings', keyed, idempotencyKey(201), endpoint({
      operationId: 'createBooking', tags, summary: 'Book tickets for a visit day (held until paid)', body: bookingRequest.meta({ id: 'BookingRequest' }),
      responses: { 201: booking },
    }), async (c) => send(c, await createBooking(ctx, c.get('channel'), c.req.valid('json'), c.get('idempotency'))))
    .get('/bookings/:orderNo', keyed, endpoint({ operationId: 'getBooking', tags, summary: 'A booking with its tickets', params: orderNo, responses: { 200: booking } }),
      async (c) => c.json(await getBooking(ctx, c.get('channel'), c.req.valid('param').orderNo)))
    .get('/bookings/:orderNo/qr.svg', keyed, endpoint({
      operationId: 'bookingQr', tags, summary: 'QR code of the booking (pickup) or, with ?ticket=, of one ticket', params: orderNo,
      query: z.object({ ticket: z.string().max(64).optional().describe('A ticket id of the booking') }), responses: { 200: { description: 'SVG image', contentType: 'image/svg+xml' } },
    }), async (c) => {
      const b = await getBooking(ctx, c.get('channel'), c.req.valid('param').orderNo);
      const ticket = c.req.valid('query').ticket;
      const text = ticket === undefined ? b.pickupCode : b.tickets.find((t) => t.id === ticket)?.code;
      if (!text) throw new AppError('not_found', `ticket not in booking: ${ticket}`, 404);
      const svg = await qrcodeLib().toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return c.body(svg, 200, { 'content-type': 'image/svg+xml' });
    })
    .post('/bookings/:orderNo/pay', keyed, idempotencyKey(200), endpoint({
      operationId: 'payBooking', tags, summary: 'Confirm payment: tickets are issued, their codes returned', params: orderNo, body: payRequest.meta({ id: 'PayRequest' }),
      responses: { 200: booking },
    }), async (c) => send(c, await payBooking(ctx, c.get('channel'), c.req.valid('param').orderNo, c.req.valid('json'), c.get('idempotency'))))
    .post('/bookings/:orderNo/cancel', keyed, idempotencyKey(200), endpoint({
      operationId: 'cancelBooking', tags, summary: 'Cancel: until the channel\'s cutoff before the visit day, not after pickup or entry; tickets are revoked', params: orderNo,
      body: cancelRequest.meta({ id: 'CancelRequest' }).optional(), responses: { 200: booking },
    }), async (c) => send(c, await cancelBooking(ctx, c.get('channel'), c.req.valid('param').orderNo, c.req.valid('json')?.reason, c.get('idempotency'))))
    .get('/reconciliation', keyed, endpoint({
      operationId: 'reconciliation', tags, summary: 'This channel\'s business day: booked, paid, cancelled, picked up, in fen, with every order', query: reconciliationQuery,
      responses: { 200: reconciliationView.meta({ id: 'Reconciliation' }) },
    }), async (c) => c.json(await reconcile(ctx, c.get('channel'), c.req.valid('query').day)));
  return new Hono<CloudEnv>().route('/', api).route('/admin', channelAdminRoutes(ctx));
}

/** Channel management for administrators and marketing (users, see auth/policy.ts). */
export function channelAdminRoutes(ctx: CloudContext) {
  const code = z.object({ code: z.string() });
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '渠道 / channels', responses: { 200: z.array(channelAdminView) } }), async (c) => c.json(await listChannels(ctx)))
    .post('/', endpoint({ summary: '新建渠道 / a channel; its API key is shown once', body: newChannel, responses: { 201: { description: 'The channel and its key', schema: z.object({ channel: channelAdminView, apiKey: z.string().describe('Shown once') }) } } }),
      async (c) => c.json(await createChannel(ctx, c.req.valid('json')), 201))
    .get('/pickups/flagged', endpoint({ summary: '异常取票 / pickups flagged: duplicate, cancelled meanwhile', responses: { 200: z.array(flaggedPickupView) } }), async (c) => c.json(await flaggedPickups(ctx)))
    .get('/:code', endpoint({ summary: '渠道 / a channel with its prices', params: code, responses: { 200: channelAdminView.extend({ prices: z.array(channelPriceView) }) } }), async (c) => {
      const ch = await channelByCode(ctx, c.req.valid('param').code);
      return c.json({ ...channelView(ch), prices: (await listPrices(ctx.db, ch)).map(({ typeId: _id, ...p }) => p) });
    })
    .patch('/:code', endpoint({ summary: '修改渠道 / change a channel', params: code, body: channelPatch, responses: { 200: channelAdminView } }),
      async (c) => c.json(await updateChannel(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .post('/:code/key', endpoint({ summary: '换密钥 / rotate a channel\'s API key', params: code, responses: { 200: { description: 'The new key, shown once', schema: z.object({ channel: z.string(), apiKey: z.string() }) } } }),
      async (c) => c.json(await rotateKey(ctx, c.req.valid('param').code)))
    .put('/:code/prices', endpoint({ summary: '渠道价格 / set a channel\'s prices', params: code, body: pricesRequest, responses: { 200: z.array(channelPriceView.extend({ typeId: z.number().int() })) } }),
      async (c) => c.json(await setPrices(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .get('/:code/bookings', endpoint({ summary: '渠道订单 / a channel\'s bookings of a visit day', params: code, query: adminBookingsQuery, responses: { 200: z.array(booking) } }), async (c) => {
      const ch = await channelByCode(ctx, c.req.valid('param').code);
      return c.json(await listBookings(ctx, ch, c.req.valid('query')));
    })
    .get('/:code/reconciliation', endpoint({ summary: '渠道对账 / a channel\'s business day', params: code, query: reconciliationQuery, responses: { 200: reconciliationView.meta({ id: 'Reconciliation' }) } }), async (c) => {
      const ch = await channelByCode(ctx, c.req.valid('param').code);
      return c.json(await reconcile(ctx, ch, c.req.valid('query').day));
    });
}

export const pickupView = z.object({ pickupId: z.string(), orderNo: z.string(), result: z.string(), booking }).meta({ id: 'Pickup' });

/** Pickup at a window: find a booking and hand out its tickets (users: sellers). */
export function pickupRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/lookup', endpoint({ summary: '查找取票订单 / bookings to hand out: order and phone, phone, ID number or QR', query: lookupQuery, responses: { 200: z.array(booking) } }),
      async (c) => c.json(await lookupBookings(ctx, c.req.valid('query'))))
    .post('/', endpoint({ summary: '窗口取票 / a window hands a booking out (idempotent on pickupId)', body: pickupRequest, responses: { 200: pickupView } }),
      async (c) => c.json(await windowPickup(ctx, c.req.valid('json'))));
}

/**
 * Pickups a kiosk made from its cache while HQ was out of reach, posted when the line is
 * back. Device auth (Basic, the device's own credentials) is applied to all of /sync in app.ts.
 */
export function devicePickupRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .post('/', endpoint({ summary: 'Pickups a kiosk made offline, each recorded once by pickupId', body: devicePickups, responses: { 200: devicePickupResults } }),
      async (c) => c.json(await recordDevicePickups(ctx, c.req.valid('json'), c.get('device'))));
}
