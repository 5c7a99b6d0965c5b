import { and, asc, eq, gt } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { posCharges, shops, wallets } from '../db/schema/index.ts';
import { deviceRecord } from '../devices/service.ts';
import { auditedTx } from '../office/audit.ts';
import { account, recordMovement } from './money.ts';
import { lockerFeed } from './lockers.ts';
import { lockWallet, MAX_WALLET_FEN, refreshWallet } from './wallets.ts';

/** One charge as a POS uploads it (edge/pos): made and decided there, recorded here once. */
export const chargeUpload = z.strictObject({
  chargeId: z.string().uuid(),
  walletId: z.string().uuid(),
  bandUid: z.string().regex(/^[0-9A-F]{8,20}$/),
  shop: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  /** Positive: what the band paid; a refund of a charge (voidOf) carries the charge's amount. */
  amountFen: z.number().int().min(1).max(MAX_WALLET_FEN),
  items: z.array(z.strictObject({ code: z.string().max(32), name: z.string().max(40), priceFen: z.number().int(), quantity: z.number().int().min(1).max(999) })).max(100),
  voidOf: z.string().uuid().optional(),
  /** Corrected time (the POS's clock plus its offset to HQ), ms. */
  at: z.number().int(),
  /** The POS could not reach HQ when it decided (its cache was stale). */
  offline: z.boolean(),
  /**
   * true: the POS is online and asks HQ to decide (the cashier waits): refused when the band
   * is blocked or its balance is short. false (default): decided at the POS, goods handed
   * over: recorded whatever the balance, an over-spend flagged.
   */
  confirm: z.boolean().default(false),
});
export const chargesUpload = z.strictObject({ device: z.string().min(1).max(64), charges: z.array(chargeUpload).min(1).max(200) });
export const chargeResult = z.object({
  chargeId: z.string(),
  result: z.enum(['recorded', 'duplicate', 'rejected']),
  balanceFen: z.number().int().optional(),
  /** The wallet's version once this charge is in its balance: a POS's cache of that version or newer includes it. */
  version: z.number().int().optional(),
  overspentFen: z.number().int().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
type Result = z.infer<typeof chargeResult>;

/**
 * Records a POS's charges, each once (by chargeId: a batch sent again after a lost answer is
 * answered `duplicate`). A charge is a fact by the time it arrives (the goods were handed
 * over), so HQ does not refuse it for want of balance: a balance driven below zero (two
 * shops offline, or a band spent after it was blocked) is recorded, flagged with how much
 * was over-spent, and collected at the exit. Refused only what cannot be booked at all: an
 * unknown wallet, a band that is not the wallet's, a shop not of the device's site.
 */
export async function recordCharges(ctx: CloudContext, dev: { site: string; device: string }, input: z.input<typeof chargesUpload>): Promise<Result[]> {
  const req = chargesUpload.parse(input);
  const now = ctx.now();
  const results: Result[] = [];
  const touched = new Set<string>();
  const siteShops = new Set((await ctx.db.select({ code: shops.code }).from(shops).where(eq(shops.site, dev.site))).map((s) => s.code));
  for (const c of req.charges) {
    const reject = (code: string, message: string) => results.push({ chargeId: c.chargeId, result: 'rejected', error: { code, message } });
    if (!siteShops.has(c.shop)) { reject('unknown_shop', `消费点不属于本景区 / shop ${c.shop} is not at site ${dev.site}`); continue; }
    const r = await auditedTx(ctx.db, async (tx): Promise<Result> => {
      const [known] = await tx.select().from(posCharges).where(eq(posCharges.chargeId, c.chargeId));
      if (known) {
        const [cur] = await tx.select({ balanceFen: wallets.balanceFen, version: wallets.version }).from(wallets).where(eq(wallets.id, known.walletId));
        return { chargeId: c.chargeId, result: 'duplicate', overspentFen: known.overspentFen, balanceFen: cur!.balanceFen, version: cur!.version };
      }
      const [exists] = await tx.select({ id: wallets.id, bandUid: wallets.bandUid, site: wallets.site }).from(wallets).where(eq(wallets.id, c.walletId));
      if (!exists || exists.bandUid !== c.bandUid || exists.site !== dev.site) return { chargeId: c.chargeId, result: 'rejected', error: { code: 'unknown_wallet', message: `一卡通账户不存在 / no wallet ${c.walletId} for band ${c.bandUid}` } };
      const w = await lockWallet(tx, c.walletId);
      if (c.voidOf) {
        const [orig] = await tx.select().from(posCharges).where(eq(posCharges.chargeId, c.voidOf));
        if (!orig || orig.walletId !== w.id || orig.voidOf || orig.amountFen !== c.amountFen) {
          return { chargeId: c.chargeId, result: 'rejected', error: { code: 'unknown_charge', message: `要退的消费不存在或金额不符 / charge ${c.voidOf} cannot be refunded this way` } };
        }
        const [already] = await tx.select({ id: posCharges.chargeId }).from(posCharges).where(eq(posCharges.voidOf, c.voidOf));
        if (already) return { chargeId: c.chargeId, result: 'rejected', error: { code: 'already_refunded', message: `该消费已退款 / charge ${c.voidOf} was refunded already` } };
      }
      const sign = c.voidOf ? -1 : 1;
      const overspentFen = sign > 0 ? Math.min(c.amountFen, Math.max(0, c.amountFen - w.balanceFen)) : 0;
      const afterLost = sign > 0 && w.state !== 'open';
      // Declined, not recorded: the same charge may still come again decided at the POS.
      if (c.confirm && sign > 0 && afterLost) return { chargeId: c.chargeId, result: 'rejected', balanceFen: w.balanceFen, version: w.version, error: { code: 'band_blocked', message: '腕带已挂失或已结算 / the band is blocked' } };
      if (c.confirm && overspentFen > 0) return { chargeId: c.chargeId, result: 'rejected', balanceFen: w.balanceFen, version: w.version, error: { code: 'insufficient_balance', message: '余额不足 / not enough balance' } };
      await tx.insert(posCharges).values({
        chargeId: c.chargeId, walletId: w.id, site: w.site, shop: c.shop, device: dev.device, amountFen: c.amountFen, items: c.items,
        voidOf: c.voidOf ?? null, at: new Date(c.at), offline: c.offline, overspentFen, afterLost, recordedAt: new Date(now),
      });
      await recordMovement(tx, ctx, null, {
        id: `${c.voidOf ? 'charge_void' : 'charge'}:${c.chargeId}`, walletId: w.id, site: w.site, kind: c.voidOf ? 'charge_void' : 'charge', at: c.at,
        actor: `device:${dev.site}/${dev.device}`, shop: c.shop, detail: { chargeId: c.chargeId, voidOf: c.voidOf, offline: c.offline, overspentFen, afterLost },
        lines: [{ account: account.wallet(w.id), amountFen: sign * c.amountFen }, { account: account.shop(c.shop), amountFen: -sign * c.amountFen }],
      }, now);
      const after = await refreshWallet(tx, w.id);
      if (overspentFen > 0 || afterLost) ctx.log.warn({ walletId: w.id, band: w.bandUid, chargeId: c.chargeId, shop: c.shop, overspentFen, afterLost }, 'band over-spent (reported)');
      return { chargeId: c.chargeId, result: 'recorded', balanceFen: after.balanceFen, version: after.version, overspentFen };
    });
    if (r.result === 'recorded') touched.add(c.walletId);
    results.push(r);
  }
  // Other shops learn the new balances at once (the doorbell), not at their next timed pull.
  if (touched.size) ctx.notify(dev.site);
  return results;
}

/**
 * Charges that came over MQTT (`tk/v1/{site}/{device}/charges`, relayed as opaque bytes by the
 * site hub): the broker has checked that the topic is the device's own (or its site hub's);
 * here HQ checks that the device is a provisioned POS, then records them as the HTTP upload
 * does. The answer goes back on the device's `up/ack` with the batch id the POS waits on.
 */
export async function recordChargesFromBroker(ctx: CloudContext, site: string, device: string, payload: unknown): Promise<object | undefined> {
  const batch = typeof payload === 'object' && payload !== null && typeof (payload as { batch?: unknown }).batch === 'string' ? (payload as { batch: string }).batch.slice(0, 64) : undefined;
  if (!batch) {
    ctx.log.warn({ site, device }, 'charges refused: no batch id');
    return undefined;
  }
  const dev = await deviceRecord(ctx.db, site, device);
  if (!dev || dev.role !== 'pos' || !dev.active) {
    ctx.log.warn({ site, device, role: dev?.role, active: dev?.active }, 'charges refused: not an active POS of the site');
    return { batch, error: { code: 'device_forbidden', message: `只有本景区的收银终端可以上传消费 / ${device} is not an active POS of site ${site}` } };
  }
  const { batch: _b, ...body } = payload as Record<string, unknown>;
  const parsed = chargesUpload.safeParse(body);
  if (!parsed.success || parsed.data.device !== device) {
    const message = parsed.success ? `device ${device} uploads as itself` : `invalid ${parsed.error.issues[0]?.path.join('.') ?? 'body'}`;
    ctx.log.warn({ site, device, message }, 'charges refused');
    return { batch, error: { code: 'invalid_request', message } };
  }
  return { batch, results: await recordCharges(ctx, { site, device }, parsed.data) };
}

export const feedView = z.object({
  wallets: z.array(z.object({ id: z.string(), bandUid: z.string(), state: z.string(), balanceFen: z.number().int(), version: z.number().int() })),
  lockers: z.array(z.object({ code: z.string(), bandUid: z.string().nullable() })),
  next: z.number().int(),
  more: z.boolean(),
  serverTime: z.number().int(),
});

/** The site's wallets changed since `since` (a version), oldest first, for a POS's cache. */
export async function walletFeed(ctx: CloudContext, site: string, since: number, limit = 2000): Promise<z.infer<typeof feedView>> {
  const rows = await ctx.db.select({ id: wallets.id, bandUid: wallets.bandUid, state: wallets.state, balanceFen: wallets.balanceFen, version: wallets.version })
    .from(wallets).where(and(eq(wallets.site, site), gt(wallets.version, since))).orderBy(asc(wallets.version)).limit(limit + 1);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  return { wallets: page, lockers: await lockerFeed(ctx, site), next: page.at(-1)?.version ?? since, more, serverTime: ctx.now() };
}

/** Charges that drove a band below zero or were made after it was blocked (the over-spend report). */
export async function overspentCharges(ctx: CloudContext, site?: string) {
  const rows = await ctx.db.select({ c: posCharges, band: wallets.bandUid }).from(posCharges).innerJoin(wallets, eq(wallets.id, posCharges.walletId))
    .where(site ? eq(posCharges.site, site) : undefined).orderBy(asc(posCharges.at));
  return rows.filter((r) => r.c.overspentFen > 0 || r.c.afterLost).map(({ c, band }) => ({
    chargeId: c.chargeId, walletId: c.walletId, bandUid: band, shop: c.shop, device: c.device, amountFen: c.amountFen, overspentFen: c.overspentFen,
    afterLost: c.afterLost, offline: c.offline, at: c.at.toISOString(),
  }));
}

export const overspentView = z.object({ items: z.array(z.object({ chargeId: z.string(), walletId: z.string(), bandUid: z.string(), shop: z.string(), device: z.string(), amountFen: z.number().int(), overspentFen: z.number().int(), afterLost: z.boolean(), offline: z.boolean(), at: z.string() })) });
