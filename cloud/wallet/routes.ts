import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { DeviceIdentity } from '../../shared/auth/device.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { idempotency } from '../http/idempotency.ts';
import { chargeResult, chargesUpload, feedView, overspentCharges, overspentView, recordCharges, walletFeed } from './charges.ts';
import { assignLocker, listLockers, lockerCode, lockerPut, lockerView, putLocker, releaseLocker } from './lockers.ts';
import { itemPut, listShops, posCatalog, putItem, putShop, shopCode, shopPut, shopView } from './shops.ts';
import {
  bandWallet, getWallet, issueRequest, issueWallet, listWallets, reportLost, settledWallet, settleRequest, settleWallet, topUp, topUpRequest, walletView,
} from './wallets.ts';

const siteName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const idParam = z.object({ id: z.string().max(64) });
const settledView = walletView.extend({ refund: z.array(z.object({ method: z.string(), amountFen: z.number().int() })), bandFeeFen: z.number().int() });
const listView = z.object({ items: z.array(z.object({ id: z.string(), bandUid: z.string(), state: z.string(), balanceFen: z.number().int(), depositFen: z.number().int(), holderName: z.string().nullable(), openedAt: z.string() })) });

/**
 * The one-card at the desks (window, exit desk): wristbands issued with a deposit and a
 * balance, top-ups, the band read at the exit, lost bands, settlement; shops and their items;
 * lockers; the over-spend report. Money moves only through cloud/wallet/money.ts.
 */
export function walletRoutes(ctx: CloudContext) {
  // Money at the desk: a key required; a lost answer is the wallet as it is now (and the settlement's refund).
  const keyed = idempotency(ctx, { required: true, replay: async (c, ref) => c.json(await getWallet(ctx, String(ref.walletId)), 201) });
  const settleKeyed = idempotency(ctx, { required: true, replay: async (c, ref) => c.json(await settledWallet(ctx, String(ref.walletId), String(ref.movementId))) });
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '一卡通列表 / wristband wallets, newest first', query: z.object({ state: z.enum(['open', 'lost', 'settled']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }), responses: { 200: listView } }),
      async (c) => c.json({ items: await listWallets(ctx, c.req.valid('query')) }))
    .post('/', keyed, endpoint({ summary: '发放腕带 / issue a wristband: deposit and first top-up', body: issueRequest, responses: { 201: walletView }, signedIn: true }),
      async (c) => c.json(await issueWallet(ctx, c.get('user'), c.req.valid('json'), c.get('idempotency')), 201))
    .get('/overspent', endpoint({ summary: '超额消费报告 / charges that spent a band past its balance or after it was blocked', query: z.object({ site: siteName.optional() }), responses: { 200: overspentView } }),
      async (c) => c.json({ items: await overspentCharges(ctx, c.req.valid('query').site) }))
    .get('/bands/:uid', endpoint({ summary: '读腕带 / the wallet a band opens now (exit desk)', params: z.object({ uid: z.string().max(40) }), responses: { 200: walletView } }),
      async (c) => c.json(await bandWallet(ctx, c.req.valid('param').uid)))
    .get('/:id', endpoint({ summary: '一卡通账户 / one wallet: deposits, balance, charges, lockers', params: idParam, responses: { 200: walletView } }),
      async (c) => c.json(await getWallet(ctx, c.req.valid('param').id)))
    .post('/:id/top-ups', keyed, endpoint({ summary: '充值 / top up a wallet', params: idParam, body: topUpRequest, responses: { 201: walletView }, signedIn: true }),
      async (c) => c.json(await topUp(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'), c.get('idempotency')), 201))
    .post('/:id/lost', endpoint({ summary: '腕带挂失 / block a lost band at once at every shop and gate', params: idParam, responses: { 200: walletView }, signedIn: true }),
      async (c) => c.json(await reportLost(ctx, c.get('user'), c.req.valid('param').id)))
    .post('/:id/settle', settleKeyed, endpoint({ summary: '离园结算 / settle at the exit: lockers, refund of balance and deposit, band returned', params: idParam, body: settleRequest, responses: { 200: settledView }, signedIn: true }),
      async (c) => c.json(await settleWallet(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'), c.get('idempotency'))));
}

export function shopRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '消费点 / shops with their items', query: z.object({ site: siteName.optional() }), responses: { 200: z.object({ items: z.array(shopView) }) } }),
      async (c) => c.json({ items: await listShops(ctx, c.req.valid('query').site) }))
    .put('/:code', endpoint({ summary: '设置消费点 / create or change a shop', params: z.object({ code: shopCode }), body: shopPut, responses: { 200: shopView } }),
      async (c) => c.json(await putShop(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .put('/:code/items/:item', endpoint({ summary: '设置商品 / create or change an item and its price', params: z.object({ code: shopCode, item: shopCode }), body: itemPut, responses: { 200: shopView } }),
      async (c) => c.json(await putItem(ctx, c.req.valid('param').code, c.req.valid('param').item, c.req.valid('json'))));
}

export function lockerRoutes(ctx: CloudContext) {
  const at = z.object({ site: siteName, code: lockerCode });
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '储物柜 / lockers and who holds them', query: z.object({ site: siteName.optional() }), responses: { 200: z.object({ items: z.array(lockerView) }) } }),
      async (c) => c.json({ items: await listLockers(ctx, c.req.valid('query').site) }))
    .put('/:site/:code', endpoint({ summary: '设置储物柜 / create or change a locker', params: at, body: lockerPut.omit({ site: true }), responses: { 200: lockerView } }),
      async (c) => c.json(await putLocker(ctx, c.req.valid('param').code, { ...c.req.valid('json'), site: c.req.valid('param').site })))
    .post('/:site/:code/assign', endpoint({ summary: '分配储物柜 / assign a locker to a wristband', params: at, body: z.strictObject({ walletId: z.string().uuid() }), responses: { 200: lockerView }, signedIn: true }),
      async (c) => c.json(await assignLocker(ctx, c.get('user'), c.req.valid('param').site, c.req.valid('param').code, c.req.valid('json').walletId)))
    .post('/:site/:code/release', endpoint({ summary: '退储物柜 / release a locker (deposit back, or the hourly fee)', params: at, responses: { 200: lockerView }, signedIn: true }),
      async (c) => c.json(await releaseLocker(ctx, c.get('user'), c.req.valid('param').site, c.req.valid('param').code)));
}

/** The POS a request comes from (device auth under /sync has checked its credential). */
function posOf(ctx: CloudContext, c: Context<CloudEnv>): DeviceIdentity {
  const id = c.get('device');
  // Device auth switched off (development): anyone speaks for the site it names.
  if (!id && !ctx.deviceAuth.required) return { role: 'hq', site: '*', device: 'unchecked' };
  if (!id || (id.role !== 'pos' && id.role !== 'hq')) throw new AppError('device_forbidden', 'only POS agents may call this', 403);
  return id;
}

/** What a POS agent calls (edge/pos), with its device credential. */
export function posSyncRoutes(ctx: CloudContext) {
  const siteQ = z.object({ site: siteName });
  return new Hono<CloudEnv>()
    .get('/catalog', endpoint({ summary: 'POS: its shop and items', query: siteQ.extend({ shop: shopCode }), responses: { 200: { description: 'shop and active items' } } }),
      async (c) => {
        posOf(ctx, c);
        const q = c.req.valid('query');
        return c.json(await posCatalog(ctx, q.site, q.shop));
      })
    .get('/wallets', endpoint({ summary: 'POS: wallets of the site changed since a version (balances, blocked bands), and the lockers', query: siteQ.extend({ since: z.coerce.number().int().min(0).default(0) }), responses: { 200: feedView } }),
      async (c) => {
        posOf(ctx, c);
        const q = c.req.valid('query');
        return c.json(await walletFeed(ctx, q.site, q.since));
      })
    .post('/charges', endpoint({ summary: 'POS: upload charges (idempotent on chargeId)', query: siteQ, body: chargesUpload, responses: { 200: z.object({ results: z.array(chargeResult) }) } }),
      async (c) => {
        const id = posOf(ctx, c);
        const body = c.req.valid('json');
        if (id.role !== 'hq' && body.device !== id.device) throw new AppError('device_forbidden', `设备只能上传自己的消费 / device ${id.device} uploads as itself`, 403);
        return c.json({ results: await recordCharges(ctx, { site: c.req.valid('query').site, device: body.device }, body) });
      });
}
