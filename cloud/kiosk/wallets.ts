import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { DeviceIdentity } from '../../shared/auth/device.ts';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { idempotency } from '../http/idempotency.ts';
import { attemptOf } from './routes.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import type { MobileProvider } from '../office/payments/mobile.ts';
import { bandUid, getWallet, issueWallet, MAX_WALLET_FEN, topUp, walletOfBand } from '../wallet/wallets.ts';

export const kioskWalletRequest = z.strictObject({
  /** Made and stored by the kiosk before paying: the payment's and the wallet movement's idempotency key. */
  attemptId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  bandUid,
  /** issue: a band not yet issued gets its wallet (deposit + balance); topup: an open band's balance. Decided when the band was read. */
  kind: z.enum(['issue', 'topup']),
  depositFen: z.number().int().min(0).max(100_000),
  topUpFen: z.number().int().min(1).max(MAX_WALLET_FEN),
  /** What the screen showed: deposit + top-up, charged to the visitor's payment code. */
  amountFen: z.number().int().min(1),
  authCode: z.string().regex(/^\d{10,32}$/),
}).meta({ id: 'KioskWalletRequest' });

const bandState = z.object({ state: z.enum(['new', 'open', 'lost']), balanceFen: z.number().int(), depositFen: z.number().int() });
const paidView = z.object({ state: z.literal('paid'), providerRef: z.string().optional(), walletId: z.string(), bandUid: z.string(), balanceFen: z.number().int(), depositFen: z.number().int(), amountFen: z.number().int() });

function kioskOf(c: Context<CloudEnv>): DeviceIdentity {
  const id = c.get('device');
  if (!id || (id.role !== 'kiosk' && id.role !== 'hq')) throw new AppError('device_forbidden', 'only kiosks may call this', 403);
  return id;
}

/** The kiosk as the actor of a wallet movement (the audit names the device). */
const kioskActor = (k: DeviceIdentity): AuthUser => ({ id: `kiosk:${k.site}:${k.device}`, username: `kiosk:${k.site}:${k.device}`, displayName: k.device, roles: [], permissions: [] });

/**
 * The one-card at the self-service kiosk: a visitor reads a wristband, and opens its wallet
 * (deposit and a first balance) or tops it up, paying by payment code. The money moves through
 * the wallet's own functions (cloud/wallet/wallets.ts) with the attempt as idempotency key, so a
 * retried attempt is one charge at the provider and one movement.
 */
export function kioskWalletRoutes(ctx: CloudContext, opts: { payments: MobileProvider }) {
  return new Hono<CloudEnv>()
    .get('/bands/:uid', endpoint({ summary: 'Kiosk: a band read at the kiosk: new, or its balance', params: z.object({ uid: z.string().max(40) }), responses: { 200: bandState } }),
      async (c) => {
        const kiosk = kioskOf(c);
        try {
          const w = await walletOfBand(ctx.db, c.req.valid('param').uid);
          if (kiosk.role !== 'hq' && w.site !== kiosk.site) throw new AppError('unknown_band', '腕带不属于本景区 / the band is of another site', 404);
          return c.json({ state: w.state as 'open' | 'lost', balanceFen: w.balanceFen, depositFen: w.depositFen });
        } catch (err) {
          if (err instanceof AppError && err.code === 'unknown_band' && bandUid.safeParse(c.req.valid('param').uid).success) return c.json({ state: 'new' as const, balanceFen: 0, depositFen: 0 });
          throw err;
        }
      })
    .post('/', idempotency(ctx, { key: attemptOf, replay: async (c, ref) => c.json(await replayed(ctx, String(ref.walletId), await c.req.json().catch(() => ({})))) }), endpoint({
      summary: 'Kiosk: open a wallet on a band or top it up, paid by the visitor\'s payment code (idempotent on attemptId)', body: kioskWalletRequest,
      responses: { 200: paidView, 202: { description: 'The payment is still pending at the provider' } },
    }), async (c) => {
      const kiosk = kioskOf(c);
      const req = c.req.valid('json');
      const depositFen = req.kind === 'issue' ? req.depositFen : 0;
      if (req.kind === 'issue' && depositFen < 1) throw new AppError('invalid_request', '新腕带需要押金 / a new band needs its deposit', 400, { field: 'depositFen' });
      if (req.amountFen !== depositFen + req.topUpFen) throw new AppError('price_changed', `金额不符 / the total is ${depositFen + req.topUpFen} fen`, 409, { amountFen: depositFen + req.topUpFen });
      // Refused before charging what cannot be done now (the band issued meanwhile, or blocked).
      // A retry of a committed attempt never comes here: idempotency() answers it.
      const current = await walletOfBand(ctx.db, req.bandUid).catch(() => undefined);
      if (req.kind === 'issue' && current) throw new AppError('band_in_use', '腕带已在使用中 / the band is issued already: top it up', 409);
      if (req.kind === 'topup' && current?.state !== 'open') throw new AppError('wallet_closed', '腕带未发放、已挂失或已结算 / the band is not open', 409);
      const charge = await opts.payments.charge({ intentId: `kiosk-wallet-${kiosk.site}-${kiosk.device}-${req.attemptId}`, amountFen: req.amountFen, authCode: req.authCode });
      let status = charge.status;
      if (status === 'pending') status = await opts.payments.query(charge.providerRef);
      if (status === 'failed') throw new AppError('payment_failed', '支付失败，未扣款 / payment failed; nothing was charged', 402, { providerRef: charge.providerRef });
      if (status === 'pending') return c.json({ state: 'pending', providerRef: charge.providerRef }, 202);
      const actor = kioskActor(kiosk);
      let w;
      try {
        w = req.kind === 'issue'
          ? await issueWallet(ctx, actor, { bandUid: req.bandUid, depositFen, topUpFen: req.topUpFen, method: 'mobile', site: kiosk.role === 'hq' ? undefined : kiosk.site }, c.get('idempotency'))
          : await topUp(ctx, actor, current!.id, { amountFen: req.topUpFen, method: 'mobile' }, c.get('idempotency'));
      } catch (err) {
        const code = err instanceof AppError ? err.code : 'internal';
        ctx.log.error({ kiosk: kiosk.device, attemptId: req.attemptId, providerRef: charge.providerRef, code, err: (err as Error).message }, 'kiosk wallet paid but not credited');
        throw new AppError('paid_not_issued', `已扣款但未入账，请联系工作人员 / paid, but not credited to the band (${code}); staff will refund`, 409, { providerRef: charge.providerRef, cause: code });
      }
      ctx.log.info({ kiosk: kiosk.device, attemptId: req.attemptId, walletId: w.id, amountFen: req.amountFen, kind: req.kind }, 'wallet paid at a kiosk');
      return c.json({ state: 'paid' as const, providerRef: charge.providerRef, walletId: w.id, bandUid: w.bandUid, balanceFen: w.balanceFen, depositFen: w.depositFen, amountFen: req.amountFen }, 200);
    });
}

/** The answer of a committed attempt whose stored answer was lost (the process died between the two). */
async function replayed(ctx: CloudContext, walletId: string, body: { amountFen?: number }) {
  const w = await getWallet(ctx, walletId);
  return { state: 'paid' as const, walletId: w.id, bandUid: w.bandUid, balanceFen: w.balanceFen, depositFen: w.depositFen, amountFen: Number(body.amountFen ?? 0) };
}
