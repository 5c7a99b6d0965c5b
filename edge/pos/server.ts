import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { z, ZodError } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { PosError } from './errors.ts';
import type { Pos } from './pos.ts';

const chargeBody = z.strictObject({
  bandUid: z.string().min(1).max(40),
  items: z.array(z.strictObject({ code: z.string().min(1).max(32), quantity: z.number().int().min(1).max(999) })).min(1).max(50),
});
const refundBody = z.strictObject({ chargeId: z.string().uuid(), pin: z.string().min(1).max(32) });

const PAGE = new URL('./page/', import.meta.url);
const asset = (name: string) => readFileSync(new URL(name, PAGE), 'utf8');

export interface PosStatus {
  device: string; site: string; shop: string; online: boolean; checkpoint: number; wallets: number; outbox: number;
  /** The last band put on the reader. */
  band: { seq: number; uid: string } | null;
}

/** The cashier's touch page and its JSON API, on loopback. */
export function posApp(pos: Pos, status: () => PosStatus, items: () => unknown[], recent: () => unknown[], log: Logger, openLockers?: (bandUid: string) => Promise<string[]>) {
  const files = { html: asset('index.html'), js: asset('pos.js') };
  const body = async (c: { req: { json(): Promise<unknown> } }) => c.req.json().catch(() => {
    throw new PosError('invalid_request');
  });
  const app = new Hono()
    .get('/', (c) => c.html(files.html))
    .get('/pos.js', (c) => c.body(files.js, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
    .get('/api/state', (c) => c.json(status()))
    .get('/api/items', (c) => c.json({ items: items() }))
    .get('/api/charges', (c) => c.json({ items: recent() }))
    .get('/api/bands/:uid', (c) => c.json(pos.quote(c.req.param('uid'))))
    .post('/api/charges', async (c) => {
      const b = chargeBody.parse(await body(c));
      return c.json(await pos.charge(b.bandUid, b.items), 201);
    })
    .post('/api/lockers/open', async (c) => {
      const b = z.strictObject({ bandUid: z.string().min(1).max(40) }).parse(await body(c));
      if (!openLockers) throw new PosError('no_locker');
      return c.json({ opened: await openLockers(b.bandUid) });
    })
    .post('/api/refunds', async (c) => {
      const b = refundBody.parse(await body(c));
      return c.json(await pos.refund(b.chargeId, b.pin), 201);
    });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no such endpoint: ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof PosError) return c.json({ error: { code: err.code, message: err.message, details: err.context } }, err.status as 400);
    if (err instanceof ZodError) return c.json({ error: { code: 'invalid_request', message: `invalid ${err.issues[0]?.path.join('.') || 'body'}` } }, 400);
    log.error({ err: err.message, stack: err.stack }, 'pos request failed');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  return app;
}
