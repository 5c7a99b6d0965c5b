import { Hono, type Context } from 'hono';
import QRCode from 'qrcode';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { businessDay } from '../../shared/time/zone.ts';
import {
  channelByCode, channelByKey, channelView, channelPatch, createChannel, listChannels, listPrices, newChannel, pricesRequest, rotateKey, setPrices, updateChannel,
} from './admin.ts';
import { cancelBooking, createBooking, getBooking, listBookings, payBooking, quotaLeft } from './bookings.ts';
import { isCalendarDay } from '../../shared/time/day.ts';
import { z } from 'zod';
import { requireKey, type Outcome } from './idempotency.ts';
import { devicePickups, flaggedPickups, lookupBookings, lookupQuery, pickupRequest, recordDevicePickups, windowPickup } from './pickup.ts';
import { reconcile } from './reconcile.ts';
import { bookingRequest, bookingView, cancelRequest, payRequest, productsQuery, reconciliationQuery } from './schemas.ts';

const adminBookingsQuery = z.object({ day: z.string().max(10), state: z.enum(['booked', 'issued', 'picked_up', 'cancelled', 'expired']).optional() }).strict();

const send = (c: Context, o: Outcome) => c.json(o.body as object, o.status);
const channelOf = (ctx: CloudContext, c: Context) => channelByKey(ctx, c.req.header('X-Channel-Key'));

/**
 * The booking API for our web shop and OTA channels, authenticated by the channel's API key
 * (X-Channel-Key), not by user tokens. Every write takes an Idempotency-Key.
 */
export function channelApiRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/products', async (c) => {
      const ch = await channelOf(ctx, c);
      const q = productsQuery.parse(c.req.query());
      const day = q.day ?? businessDay(ctx.now(), ctx.config.timeZone);
      if (!isCalendarDay(day)) throw new AppError('invalid_day', `not a valid day: ${day}`);
      const products = (await listPrices(ctx.db, ch)).map(({ typeId: _id, ...p }) => p);
      return c.json({ day, quota: ch.dailyQuota, remaining: await quotaLeft(ctx, ch, day), products });
    })
    .post('/bookings', async (c) => {
      const ch = await channelOf(ctx, c);
      const key = requireKey(c.req.header('Idempotency-Key'));
      return send(c, await createBooking(ctx, ch, bookingRequest.parse(await jsonBody(c)), key));
    })
    .get('/bookings/:orderNo', async (c) => c.json(await getBooking(ctx, await channelOf(ctx, c), c.req.param('orderNo'))))
    .get('/bookings/:orderNo/qr.svg', async (c) => {
      const ch = await channelOf(ctx, c);
      const b = await getBooking(ctx, ch, c.req.param('orderNo'));
      const ticket = c.req.query('ticket');
      const text = ticket === undefined ? b.pickupCode : b.tickets.find((t) => t.id === ticket)?.code;
      if (!text) throw new AppError('not_found', `ticket not in booking: ${ticket}`, 404);
      const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return c.body(svg, 200, { 'content-type': 'image/svg+xml' });
    })
    .post('/bookings/:orderNo/pay', async (c) => {
      const ch = await channelOf(ctx, c);
      const key = requireKey(c.req.header('Idempotency-Key'));
      return send(c, await payBooking(ctx, ch, c.req.param('orderNo'), payRequest.parse(await jsonBody(c)), key));
    })
    .post('/bookings/:orderNo/cancel', async (c) => {
      const ch = await channelOf(ctx, c);
      const key = requireKey(c.req.header('Idempotency-Key'));
      const raw = c.req.header('content-length') === '0' ? {} : await jsonBody(c);
      return send(c, await cancelBooking(ctx, ch, c.req.param('orderNo'), cancelRequest.parse(raw).reason, key));
    })
    .get('/reconciliation', async (c) => {
      const ch = await channelOf(ctx, c);
      return c.json(await reconcile(ctx, ch, reconciliationQuery.parse(c.req.query()).day));
    })
    .route('/admin', channelAdminRoutes(ctx));
}

/** Channel management for administrators and marketing (users, see auth/policy.ts). */
export function channelAdminRoutes(ctx: CloudContext) {
  const code = z.object({ code: z.string() });
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '渠道 / channels' }), async (c) => c.json(await listChannels(ctx)))
    .post('/', endpoint({ summary: '新建渠道 / a channel; its API key is shown once', body: newChannel, responses: { 201: { description: 'The channel and its key' } } }),
      async (c) => c.json(await createChannel(ctx, c.req.valid('json')), 201))
    .get('/pickups/flagged', endpoint({ summary: '异常取票 / pickups flagged: duplicate, cancelled meanwhile' }), async (c) => c.json(await flaggedPickups(ctx)))
    .get('/:code', endpoint({ summary: '渠道 / a channel with its prices', params: code }), async (c) => {
      const ch = await channelByCode(ctx, c.req.valid('param').code);
      return c.json({ ...channelView(ch), prices: (await listPrices(ctx.db, ch)).map(({ typeId: _id, ...p }) => p) });
    })
    .patch('/:code', endpoint({ summary: '修改渠道 / change a channel', params: code, body: channelPatch }),
      async (c) => c.json(await updateChannel(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .post('/:code/key', endpoint({ summary: '换密钥 / rotate a channel\'s API key', params: code, responses: { 200: { description: 'The new key, shown once' } } }),
      async (c) => c.json(await rotateKey(ctx, c.req.valid('param').code)))
    .put('/:code/prices', endpoint({ summary: '渠道价格 / set a channel\'s prices', params: code, body: pricesRequest }),
      async (c) => c.json(await setPrices(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .get('/:code/bookings', endpoint({ summary: '渠道订单 / a channel\'s bookings of a visit day', params: code, query: adminBookingsQuery }), async (c) => {
      const ch = await channelByCode(ctx, c.req.valid('param').code);
      return c.json(await listBookings(ctx, ch, c.req.valid('query')));
    })
    .get('/:code/reconciliation', endpoint({ summary: '渠道对账 / a channel\'s business day', params: code, query: reconciliationQuery }), async (c) => {
      const ch = await channelByCode(ctx, c.req.valid('param').code);
      return c.json(await reconcile(ctx, ch, c.req.valid('query').day));
    });
}

const booking = bookingView.meta({ id: 'Booking' });
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
    .post('/', endpoint({ summary: 'Pickups a kiosk made offline, each recorded once by pickupId', body: devicePickups }),
      async (c) => c.json(await recordDevicePickups(ctx, c.req.valid('json'), c.get('device'))));
}
