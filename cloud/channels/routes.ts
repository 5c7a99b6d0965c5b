import { Hono, type Context } from 'hono';
import QRCode from 'qrcode';
import type { CloudContext } from '../context.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { businessDay } from '../../shared/time/zone.ts';
import {
  channelByCode, channelByKey, channelView, channelPatch, createChannel, listChannels, listPrices, newChannel, pricesRequest, rotateKey, setPrices, updateChannel,
} from './admin.ts';
import { cancelBooking, createBooking, getBooking, listBookings, payBooking, quotaLeft } from './bookings.ts';
import { isCalendarDay } from '../../shared/time/day.ts';
import { z } from 'zod';
import { requireKey, type Outcome } from './idempotency.ts';
import { openApiDocument } from './openapi.ts';
import { devicePickups, flaggedPickups, lookupBookings, lookupQuery, pickupRequest, recordDevicePickups, windowPickup } from './pickup.ts';
import { reconcile } from './reconcile.ts';
import { bookingRequest, cancelRequest, payRequest, productsQuery, reconciliationQuery } from './schemas.ts';

const adminBookingsQuery = z.object({ day: z.string().max(10), state: z.enum(['booked', 'issued', 'picked_up', 'cancelled', 'expired']).optional() }).strict();

const send = (c: Context, o: Outcome) => c.json(o.body as object, o.status);
const channelOf = (ctx: CloudContext, c: Context) => channelByKey(ctx, c.req.header('X-Channel-Key'));

/**
 * The booking API for our web shop and OTA channels, authenticated by the channel's API key
 * (X-Channel-Key), not by user tokens. Every write takes an Idempotency-Key.
 */
export function channelApiRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/openapi.json', (c) => c.json(openApiDocument()))
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
  return new Hono()
    .get('/', async (c) => c.json(await listChannels(ctx)))
    .post('/', async (c) => c.json(await createChannel(ctx, newChannel.parse(await jsonBody(c))), 201))
    .get('/pickups/flagged', async (c) => c.json(await flaggedPickups(ctx)))
    .get('/:code', async (c) => {
      const ch = await channelByCode(ctx, c.req.param('code'));
      return c.json({ ...channelView(ch), prices: (await listPrices(ctx.db, ch)).map(({ typeId: _id, ...p }) => p) });
    })
    .patch('/:code', async (c) => c.json(await updateChannel(ctx, c.req.param('code'), channelPatch.parse(await jsonBody(c)))))
    .post('/:code/key', async (c) => c.json(await rotateKey(ctx, c.req.param('code'))))
    .put('/:code/prices', async (c) => c.json(await setPrices(ctx, c.req.param('code'), pricesRequest.parse(await jsonBody(c)))))
    .get('/:code/bookings', async (c) => {
      const ch = await channelByCode(ctx, c.req.param('code'));
      return c.json(await listBookings(ctx, ch, adminBookingsQuery.parse(c.req.query())));
    })
    .get('/:code/reconciliation', async (c) => {
      const ch = await channelByCode(ctx, c.req.param('code'));
      return c.json(await reconcile(ctx, ch, reconciliationQuery.parse(c.req.query()).day));
    });
}

/** Pickup at a window: find a booking and hand out its tickets (users: sellers). */
export function pickupRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/lookup', async (c) => c.json(await lookupBookings(ctx, lookupQuery.parse(c.req.query()))))
    .post('/', async (c) => c.json(await windowPickup(ctx, pickupRequest.parse(await jsonBody(c)))));
}

/**
 * Pickups a kiosk made from its cache while HQ was out of reach, posted when the line is
 * back. Device auth (Basic, the device's own credentials) is applied to all of /sync in app.ts.
 */
export function devicePickupRoutes(ctx: CloudContext) {
  return new Hono()
    .post('/', async (c) => {
      const device = c.get('device' as never) as { role: string; site: string; device: string } | undefined;
      return c.json(await recordDevicePickups(ctx, devicePickups.parse(await jsonBody(c)), device));
    });
}
