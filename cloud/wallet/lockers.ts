import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { lockers, wallets } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { auditedTx, type Tx } from '../office/audit.ts';
import { account, recordMovement } from './money.ts';
import { lockWallet, nextVersion as lockerVersion, refreshWallet, type WalletRow } from './wallets.ts';

export const lockerPut = z.strictObject({
  mode: z.enum(['deposit', 'hourly']),
  /** deposit: held from the band's balance while assigned; hourly: per started hour, taken at release. */
  feeFen: z.number().int().min(0).max(100_000),
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});
export const lockerCode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);

type LockerRow = typeof lockers.$inferSelect;

export const lockerView = z.object({ site: z.string(), code: z.string(), mode: z.string(), feeFen: z.number().int(), walletId: z.string().nullable(), bandUid: z.string().nullable(), assignedAt: z.string().nullable() }).meta({ id: 'Locker' });

export async function putLocker(ctx: CloudContext, code: string, input: z.input<typeof lockerPut>) {
  const req = lockerPut.parse(input);
  lockerCode.parse(code);
  const site = req.site ?? ctx.config.site;
  await ctx.db.transaction(async (tx) => {
    const [held] = await tx.select().from(lockers).where(and(eq(lockers.site, site), eq(lockers.code, code))).for('update');
    if (held?.walletId) throw new AppError('locker_in_use', `柜子 ${code} 使用中，不能修改 / locker ${code} is in use`, 409, { code });
    await tx.insert(lockers).values({ site, code, mode: req.mode, feeFen: req.feeFen, version: await lockerVersion(tx) })
      .onConflictDoUpdate({ target: [lockers.site, lockers.code], set: { mode: req.mode, feeFen: req.feeFen, version: await lockerVersion(tx) } });
  });
  return (await listLockers(ctx, site)).find((l) => l.code === code)!;
}

export async function listLockers(ctx: CloudContext, site?: string) {
  const rows = await ctx.db.select({ l: lockers, band: wallets.bandUid }).from(lockers).leftJoin(wallets, eq(wallets.id, lockers.walletId))
    .where(site ? eq(lockers.site, site) : undefined).orderBy(asc(lockers.site), asc(lockers.code));
  return rows.map(({ l, band }) => ({ site: l.site, code: l.code, mode: l.mode, feeFen: l.feeFen, walletId: l.walletId, bandUid: band, assignedAt: l.assignedAt?.toISOString() ?? null }));
}

/** Assigns a free locker to a band (deposit mode: the deposit moves from the balance and is held). */
export async function assignLocker(ctx: CloudContext, user: AuthUser, site: string, code: string, walletId: string) {
  const now = ctx.now();
  const w = await auditedTx(ctx.db, async (tx) => {
    const w = await lockWallet(tx, walletId);
    if (w.state !== 'open') throw new AppError('wallet_closed', `该腕带已挂失或已结算 / the band is ${w.state}`, 409, { state: w.state });
    const [l] = await tx.select().from(lockers).where(and(eq(lockers.site, site), eq(lockers.code, code))).for('update');
    if (!l) throw new AppError('unknown_locker', `柜子不存在 / no such locker: ${code}`, 404, { what: 'locker', id: code });
    if (l.walletId) throw new AppError('locker_in_use', `柜子 ${code} 使用中 / locker ${code} is in use`, 409, { code });
    if (l.mode === 'deposit' && l.feeFen > 0) {
      if (w.balanceFen < l.feeFen) throw new AppError('insufficient_balance', '余额不足，请先充值 / not enough balance; top up first', 409, { balanceFen: w.balanceFen, neededFen: l.feeFen });
      await recordMovement(tx, ctx, null, {
        id: `locker_hold:${site}/${code}:${now}:${w.id}`, walletId: w.id, site: w.site, kind: 'locker_hold', at: now, actor: `user:${user.username}`, detail: { locker: code },
        lines: [{ account: account.wallet(w.id), amountFen: l.feeFen }, { account: account.locker(w.id), amountFen: -l.feeFen }],
      }, now);
    }
    await tx.update(lockers).set({ walletId: w.id, assignedAt: new Date(now), version: await lockerVersion(tx) }).where(and(eq(lockers.site, site), eq(lockers.code, code)));
    return refreshWallet(tx, w.id);
  });
  ctx.notify(w.site);
  return (await listLockers(ctx, site)).find((l) => l.code === code)!;
}

/**
 * Releases a locker inside the caller's transaction: a deposit goes back to the balance, an
 * hourly fee (per started hour) is taken from it. Called at the desk and by the settlement.
 */
export async function releaseLockerTx(tx: Tx, ctx: CloudContext, w: WalletRow, l: LockerRow, actor: string, now: number): Promise<void> {
  const held = l.assignedAt?.getTime() ?? now;
  const lines = l.mode === 'deposit'
    ? [{ account: account.locker(w.id), amountFen: l.feeFen }, { account: account.wallet(w.id), amountFen: -l.feeFen }]
    : (() => {
      const fee = l.feeFen * Math.max(1, Math.ceil((now - held) / 3_600_000));
      return [{ account: account.wallet(w.id), amountFen: fee }, { account: account.lockerFee, amountFen: -fee }];
    })();
  await recordMovement(tx, ctx, null, { id: `locker_release:${l.site}/${l.code}:${held}:${w.id}`, walletId: w.id, site: w.site, kind: 'locker_release', at: now, actor, detail: { locker: l.code, mode: l.mode }, lines }, now);
  await tx.update(lockers).set({ walletId: null, assignedAt: null, version: await lockerVersion(tx) }).where(and(eq(lockers.site, l.site), eq(lockers.code, l.code)));
  ctx.log.info({ locker: l.code, walletId: w.id }, 'locker released');
}

export async function releaseLocker(ctx: CloudContext, user: AuthUser, site: string, code: string) {
  const now = ctx.now();
  const w = await auditedTx(ctx.db, async (tx) => {
    const [l0] = await tx.select().from(lockers).where(and(eq(lockers.site, site), eq(lockers.code, code)));
    if (!l0) throw new AppError('unknown_locker', `柜子不存在 / no such locker: ${code}`, 404, { what: 'locker', id: code });
    if (!l0.walletId) throw new AppError('locker_free', `柜子 ${code} 未使用 / locker ${code} is not assigned`, 409, { code });
    const w = await lockWallet(tx, l0.walletId); // wallet first, then the locker: the order the settlement takes them in
    const [l] = await tx.select().from(lockers).where(and(eq(lockers.site, site), eq(lockers.code, code))).for('update');
    if (l!.walletId !== w.id) throw new AppError('locker_free', `柜子 ${code} 未使用 / locker ${code} is not assigned`, 409, { code });
    await releaseLockerTx(tx, ctx, w, l!, `user:${user.username}`, now);
    return refreshWallet(tx, w.id);
  });
  ctx.notify(w.site);
  return (await listLockers(ctx, site)).find((l) => l.code === code)!;
}

/** The lockers a site's devices open: code -> band (the POS feed carries them to locker controllers). */
export async function lockerFeed(ctx: CloudContext, site: string) {
  return (await listLockers(ctx, site)).map((l) => ({ code: l.code, bandUid: l.bandUid }));
}
