import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { z, ZodError } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { KioskError } from './errors.ts';
import type { Kiosk } from './kiosk.ts';
import type { KioskWallet } from './wallet.ts';

const findBody = z.discriminatedUnion('by', [
  z.strictObject({ by: z.literal('order'), order: z.string().min(1).max(40), phone: z.string().min(1).max(20) }),
  z.strictObject({ by: z.literal('code'), code: z.string().min(1).max(400) }),
  z.strictObject({ by: z.literal('id'), idNumber: z.string().min(1).max(20) }),
]);
const confirmBody = z.strictObject({ token: z.string().min(1).max(64) });
const saleBody = z.strictObject({ items: z.array(z.strictObject({ type: z.string().min(1).max(32), quantity: z.number().int().min(0).max(20) })).min(1).max(10) });
const payBody = z.strictObject({ authCode: z.string().max(32).default('') });
const walletBody = z.strictObject({ bandUid: z.string().min(1).max(40), topUpFen: z.number().int().min(1) });
const swipeBody = z.strictObject({ idNumber: z.string().min(1).max(20) });

const PAGE_DIR = new URL('./page/', import.meta.url);
const asset = (name: string) => readFileSync(new URL(name, PAGE_DIR), 'utf8');

export interface KioskStatus {
  device: string;
  site: string;
  locale: string;
  online: boolean;
  checkpoint: number;
  bookings: number;
  outbox: number;
  printer: unknown;
  scan: { seq: number; text: string } | null;
  /** An ID card was read (its number is not shown): the screen asks /api/idcard/read. */
  card: { seq: number } | null;
}

/**
 * The kiosk's touch-screen page and the JSON API it calls, on loopback. Errors are
 * `{"error": {"code", "message"}}` with the code the page turns into its own words.
 */
export function kioskApp(kiosk: Kiosk, status: () => KioskStatus, log: Logger, lastIdCard: () => string | undefined = () => undefined, wallet?: KioskWallet) {
  const files = { html: asset('index.html'), js: asset('kiosk.js'), css: asset('kiosk.css') };
  const body = async (c: { req: { json(): Promise<unknown> } }) => c.req.json().catch(() => {
    throw new KioskError('invalid_request', {}, 'body is not JSON');
  });
  const walletOf = () => {
    if (!wallet) throw new KioskError('wallet_unavailable');
    return wallet;
  };
  const app = new Hono()
    .get('/', (c) => c.html(files.html))
    .get('/kiosk.js', (c) => c.body(files.js, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
    .get('/kiosk.css', (c) => c.body(files.css, 200, { 'content-type': 'text/css; charset=utf-8' }))
    .get('/api/state', (c) => c.json(status()))
    .post('/api/pickup/find', async (c) => c.json(await kiosk.find(findBody.parse(await body(c)))))
    .post('/api/pickup/confirm', async (c) => c.json(await kiosk.confirm(confirmBody.parse(await body(c)).token)))
    // The ID card reader's swipe (or the page's simulated one): find by the card's number.
    .post('/api/idcard', async (c) => c.json(await kiosk.find({ by: 'id', idNumber: swipeBody.parse(await body(c)).idNumber })))
    // The ID card reader's last card: find its holder's bookings.
    .post('/api/idcard/read', async (c) => {
      const idNumber = lastIdCard();
      if (!idNumber) throw new KioskError('not_found');
      return c.json(await kiosk.find({ by: 'id', idNumber }));
    })
    .get('/api/sale/types', async (c) => c.json({ types: await kiosk.saleTypes() }))
    // The one-card (一卡通): a wristband opened or topped up, paid by payment code, a receipt printed.
    .get('/api/wallet/bands/:uid', async (c) => c.json(await walletOf().band(c.req.param('uid'))))
    .post('/api/wallet', async (c) => {
      const b = walletBody.parse(await body(c));
      return c.json(await walletOf().start(b.bandUid, b.topUpFen));
    })
    .post('/api/wallet/:attemptId/pay', async (c) => c.json(await walletOf().pay(c.req.param('attemptId'), payBody.parse(await body(c)).authCode)))
    .post('/api/sale', async (c) => c.json(await kiosk.startSale(saleBody.parse(await body(c)).items)))
    .post('/api/sale/:attemptId/pay', async (c) => c.json(await kiosk.paySale(c.req.param('attemptId'), payBody.parse(await body(c)).authCode)));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no such endpoint: ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof KioskError) {
      return c.json({ error: { code: err.code, message: err.message, ...(Object.keys(err.context).length ? { details: err.context } : {}) } }, err.status as 400);
    }
    if (err instanceof ZodError) {
      const i = err.issues[0];
      return c.json({ error: { code: 'invalid_request', message: `invalid ${i?.path.join('.') || 'body'}: ${i?.message ?? ''}` } }, 400);
    }
    log.error({ err: err.message, stack: err.stack }, 'kiosk request failed');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  return app;
}
