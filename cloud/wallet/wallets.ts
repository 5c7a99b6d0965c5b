import { businessDay } from '../../shared/time/zone.ts';
import { and, asc, desc, eq, like, ne, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { lockers, posCharges, walletLines, walletMovements, wallets } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import type { IdempotencyClaim } from '../http/idempotency.ts';
import { appendAudit, auditedTx, type Tx } from '../office/audit.ts';
import { bindCredentialTx, releaseCredentials } from '../tickets/credentials.ts';
import { ledger } from '../ledger/index.ts';
import { account, recordMovement } from './money.ts';
import { releaseLockerTx } from './lockers.ts';

export const MAX_WALLET_FEN = 10_000_000; // 100,000 yuan on one wristband is a typo, not a visitor
const fenAmount = z.number().int().min(0).max(MAX_WALLET_FEN);
export const PAY_METHODS = ['cash', 'card', 'mobile'] as const;
export const bandUid = z.string().trim().transform((s) => s.toUpperCase()).pipe(z.string().regex(/^[0-9A-F]{8,20}$/, '腕带号为 8-20 位十六进制 / a band UID is 8 to 20 hex digits'));

export const issueRequest = z.strictObject({
  bandUid,
  depositFen: fenAmount.describe('Wristband deposit (押金), given back when the band is returned'),
  topUpFen: fenAmount.default(0).describe('First prepaid balance'),
  method: z.enum(PAY_METHODS).default('cash'),
  /** The admission ticket the band also opens gates for (bound as its card credential). */
  ticketId: z.string().uuid().optional(),
  holderName: z.string().min(1).max(40).optional(),
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});
export const topUpRequest = z.strictObject({ amountFen: fenAmount.refine((n) => n > 0, 'must be positive'), method: z.enum(PAY_METHODS).default('cash') });
export const settleRequest = z.strictObject({
  /** original: card and mobile money goes back the way it came (up to what each paid in), the rest in cash; cash: all in cash. */
  refundTo: z.enum(['original', 'cash']).default('original'),
  /** Fee for a band torn or not returned (default for a lost band: its whole deposit). */
  bandFeeFen: fenAmount.optional(),
  /** How a visitor who spent past the balance (offline) pays what is owed. */
  collectMethod: z.enum(PAY_METHODS).default('cash'),
});

export type WalletRow = typeof wallets.$inferSelect;

export const walletView = z.object({
  id: z.string(), site: z.string(), bandUid: z.string(), state: z.enum(['open', 'lost', 'settled']),
  balanceFen: z.number().int(), depositFen: z.number().int(), lockerDepositFen: z.number().int(),
  ticketId: z.string().nullable(), holderName: z.string().nullable(), openedAt: z.string(), closedAt: z.string().nullable(),
  lockers: z.array(z.object({ code: z.string(), mode: z.string(), feeFen: z.number().int(), assignedAt: z.string().nullable() })),
  charges: z.array(z.object({ chargeId: z.string(), shop: z.string(), amountFen: z.number().int(), items: z.unknown(), at: z.string(), voidOf: z.string().nullable(), offline: z.boolean(), overspentFen: z.number().int() })),
});
export type WalletView = z.infer<typeof walletView>;

const actorOf = (u: AuthUser) => `user:${u.username}`;

/**
 * The book the money of a desk's wallet movement goes into: a kiosk's (cloud/kiosk/wallets.ts,
 * user `kiosk:<site>:<device>`) shift of the day; a person's open shift, else the office's cash book.
 */
async function walletBook(tx: Tx, ctx: CloudContext, user: AuthUser, now: number) {
  const kiosk = /^kiosk:([^:]+):(.+)$/.exec(user.id);
  if (kiosk) return ledger.kioskActor(tx, kiosk[1]!, kiosk[2]!, businessDay(now, ctx.config.timeZone), now);
  return ledger.deskActor(tx, user.id);
}

export async function nextVersion(tx: Tx | Db): Promise<number> {
  const r = await tx.execute(sql`select nextval('wallet_version_seq')::bigint as v`);
  return Number((r as unknown as { rows: { v: string | number }[] }).rows[0]!.v);
}

/** Sum of one account's lines (debit positive). */
export async function accountSum(tx: Tx | Db, acc: string): Promise<number> {
  const [r] = await tx.select({ s: sql<string | null>`sum(${walletLines.amountFen})` }).from(walletLines).where(eq(walletLines.account, acc));
  return Number(r?.s ?? 0);
}

/** The cached sums follow the lines (the POS feed and the desk read them), with a new version. */
export async function refreshWallet(tx: Tx, id: string, set: Partial<Pick<WalletRow, 'state' | 'closedAt'>> = {}): Promise<WalletRow> {
  const balanceFen = -(await accountSum(tx, account.wallet(id)));
  const depositFen = -(await accountSum(tx, account.deposit(id)));
  const [row] = await tx.update(wallets).set({ balanceFen, depositFen, version: await nextVersion(tx), ...set }).where(eq(wallets.id, id)).returning();
  return row!;
}

export async function lockWallet(tx: Tx, id: string): Promise<WalletRow> {
  const [row] = z.string().uuid().safeParse(id).success ? await tx.select().from(wallets).where(eq(wallets.id, id)).for('update') : [];
  if (!row) throw new AppError('unknown_wallet', `一卡通账户不存在 / no such wallet: ${id}`, 404, { what: 'wallet', id });
  return row;
}

/** The wallet a band opens now (open or lost, not yet settled). */
export async function walletOfBand(db: Db | Tx, uid: string): Promise<WalletRow> {
  const parsed = bandUid.safeParse(uid);
  const [row] = parsed.success ? await db.select().from(wallets).where(and(eq(wallets.bandUid, parsed.data), ne(wallets.state, 'settled'))) : [];
  if (!row) throw new AppError('unknown_band', `腕带未发放或已退还 / band ${uid} is not issued`, 404, { what: 'band', id: uid });
  return row;
}

export async function viewWallet(db: Db | Tx, row: WalletRow): Promise<WalletView> {
  const held = await db.select().from(lockers).where(eq(lockers.walletId, row.id)).orderBy(asc(lockers.code));
  const charges = await db.select().from(posCharges).where(eq(posCharges.walletId, row.id)).orderBy(asc(posCharges.at));
  return {
    id: row.id, site: row.site, bandUid: row.bandUid, state: row.state as WalletView['state'], balanceFen: row.balanceFen, depositFen: row.depositFen,
    lockerDepositFen: -(await accountSum(db, account.locker(row.id))),
    ticketId: row.ticketId, holderName: row.holderName, openedAt: row.openedAt.toISOString(), closedAt: row.closedAt?.toISOString() ?? null,
    lockers: held.map((l) => ({ code: l.code, mode: l.mode, feeFen: l.feeFen, assignedAt: l.assignedAt?.toISOString() ?? null })),
    charges: charges.map((c) => ({ chargeId: c.chargeId, shop: c.shop, amountFen: c.amountFen, items: c.items, at: c.at.toISOString(), voidOf: c.voidOf, offline: c.offline, overspentFen: c.overspentFen })),
  };
}

/**
 * Issues a wristband: a wallet with the band deposit and a first top-up, paid at the desk;
 * bound to the admission ticket's card credential when one is given (gates then admit it).
 */
export async function issueWallet(ctx: CloudContext, user: AuthUser, input: z.input<typeof issueRequest>, idem?: IdempotencyClaim): Promise<WalletView> {
  const req = issueRequest.parse(input);
  const movementId = `issue:${uuidv7()}`;
  const site = req.site ?? ctx.config.site;
  const now = ctx.now();
  const row = await auditedTx(ctx.db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`band/${req.bandUid}`}))`);
    const [taken] = await tx.select({ id: wallets.id }).from(wallets).where(and(eq(wallets.bandUid, req.bandUid), ne(wallets.state, 'settled')));
    if (taken) throw new AppError('band_in_use', `腕带已在使用中，请先结算 / band ${req.bandUid} is already issued`, 409, { walletId: taken.id });
    const id = uuidv7();
    await tx.insert(wallets).values({ id, site, bandUid: req.bandUid, state: 'open', ticketId: req.ticketId ?? null, holderName: req.holderName ?? null, version: await nextVersion(tx), openedAt: new Date(now) });
    if (req.ticketId) await bindCredentialTx(tx, site, req.ticketId, 'card', req.bandUid, { now });
    await recordMovement(tx, ctx, await walletBook(tx, ctx, user, now), {
      id: movementId, walletId: id, bandUid: req.bandUid, site, kind: 'issue', at: now, actor: actorOf(user), detail: { method: req.method, depositFen: req.depositFen, topUpFen: req.topUpFen },
      lines: [
        { account: account.pay(req.method), amountFen: req.depositFen + req.topUpFen },
        { account: account.deposit(id), amountFen: -req.depositFen },
        { account: account.wallet(id), amountFen: -req.topUpFen },
      ],
    }, now);
    await idem?.claim(tx, { walletId: id, movementId });
    return refreshWallet(tx, id);
  });
  ctx.notify(row.site);
  return viewWallet(ctx.db, row);
}

export async function topUp(ctx: CloudContext, user: AuthUser, walletId: string, input: z.input<typeof topUpRequest>, idem?: IdempotencyClaim): Promise<WalletView> {
  const req = topUpRequest.parse(input);
  const movementId = `topup:${uuidv7()}`;
  const now = ctx.now();
  const row = await auditedTx(ctx.db, async (tx) => {
    const w = await lockWallet(tx, walletId);
    if (w.state !== 'open') throw new AppError('wallet_closed', `该腕带已挂失或已结算，不能充值 / the band is ${w.state}`, 409, { state: w.state });
    if (w.balanceFen + req.amountFen > MAX_WALLET_FEN) throw new AppError('wallet_limit', '余额超过上限 / the balance would pass the limit', 400, { limitFen: MAX_WALLET_FEN });
    await recordMovement(tx, ctx, await walletBook(tx, ctx, user, now), {
      id: movementId, walletId: w.id, bandUid: w.bandUid, site: w.site, kind: 'topup', at: now, actor: actorOf(user), detail: { method: req.method, amountFen: req.amountFen },
      lines: [{ account: account.pay(req.method), amountFen: req.amountFen }, { account: account.wallet(w.id), amountFen: -req.amountFen }],
    }, now);
    await idem?.claim(tx, { walletId: w.id, movementId });
    return refreshWallet(tx, w.id);
  });
  ctx.notify(row.site);
  return viewWallet(ctx.db, row);
}

/**
 * A band reported lost (or stolen) is blocked at once: a new version reaches every POS with
 * the doorbell, and the admission ticket's card credential is released (gates drop it). The
 * money stays until the visitor settles at the exit (the deposit pays the band fee).
 */
export async function reportLost(ctx: CloudContext, user: AuthUser, walletId: string): Promise<WalletView> {
  const now = ctx.now();
  const row = await auditedTx(ctx.db, async (tx) => {
    const w = await lockWallet(tx, walletId);
    if (w.state === 'lost') return w;
    if (w.state !== 'open') throw new AppError('wallet_closed', `该腕带已结算 / the band is ${w.state}`, 409, { state: w.state });
    if (w.ticketId) await releaseCredentials(tx, w.site, [w.ticketId], 'lost', now);
    await appendAudit(tx, { at: now, actor: actorOf(user), action: 'wallet.lost', subject: `wallet:${w.id}`, body: { bandUid: w.bandUid } });
    return refreshWallet(tx, w.id, { state: 'lost' });
  });
  ctx.notify(row.site);
  ctx.log.info({ walletId: row.id, band: row.bandUid }, 'band reported lost: blocked');
  return viewWallet(ctx.db, row);
}

/** Money paid in per method by this wallet's issue and top-ups, less what went back that way. */
async function paidInByMethod(tx: Tx, walletId: string): Promise<Map<string, number>> {
  const rows = await tx.select({ account: walletLines.account, s: sql<string>`sum(${walletLines.amountFen})` })
    .from(walletLines).innerJoin(walletMovements, eq(walletMovements.id, walletLines.movementId))
    .where(and(eq(walletMovements.walletId, walletId), like(walletLines.account, 'pay:%'))).groupBy(walletLines.account);
  return new Map(rows.map((r) => [r.account.slice(4), Number(r.s)]));
}

/**
 * Settlement at the exit desk: lockers still held are released (their fee or deposit), the
 * balance and the deposit less any band fee are refunded, the band is unbound. Refund rule
 * (原路退回): card and mobile money goes back the way it came, mobile first, up to what each
 * paid in; the rest in cash. A balance spent below zero (offline) is first taken from the
 * deposit, and anything still owed is collected. Idempotent by key; the wallet ends settled.
 */
export async function settleWallet(ctx: CloudContext, user: AuthUser, walletId: string, input: z.input<typeof settleRequest>, idem?: IdempotencyClaim): Promise<WalletView & { refund: { method: string; amountFen: number }[]; bandFeeFen: number }> {
  const req = settleRequest.parse(input);
  const movementId = `settle:${uuidv7()}`;
  const now = ctx.now();
  const out = await auditedTx(ctx.db, async (tx) => {
    let w = await lockWallet(tx, walletId);
    if (w.state === 'settled') throw new AppError('wallet_closed', '该腕带已结算 / the band was settled already', 409, { state: w.state });
    for (const l of await tx.select().from(lockers).where(eq(lockers.walletId, w.id))) await releaseLockerTx(tx, ctx, w, l, actorOf(user), now);
    w = await refreshWallet(tx, w.id);
    const deposit = w.depositFen;
    const bandFeeFen = Math.min(deposit, req.bandFeeFen ?? (w.state === 'lost' ? deposit : 0));
    const due = w.balanceFen + deposit - bandFeeFen;
    const refund: { method: string; amountFen: number }[] = [];
    if (due > 0) {
      let left = due;
      if (req.refundTo === 'original') {
        const paid = await paidInByMethod(tx, w.id);
        for (const method of ['mobile', 'card'] as const) {
          const back = Math.min(left, Math.max(0, paid.get(method) ?? 0));
          if (back > 0) refund.push({ method, amountFen: back });
          left -= back;
        }
      }
      if (left > 0) refund.push({ method: 'cash', amountFen: left });
    }
    const lines = [
      { account: account.wallet(w.id), amountFen: w.balanceFen },
      { account: account.deposit(w.id), amountFen: deposit },
      { account: account.bandFee, amountFen: -bandFeeFen },
      ...refund.map((r) => ({ account: account.pay(r.method), amountFen: -r.amountFen })),
      ...(due < 0 ? [{ account: account.pay(req.collectMethod), amountFen: -due }] : []),
    ];
    await recordMovement(tx, ctx, await walletBook(tx, ctx, user, now), {
      id: movementId, walletId: w.id, bandUid: w.bandUid, site: w.site, kind: 'settle', at: now, actor: actorOf(user), lines,
      detail: { refund, bandFeeFen, collectedFen: due < 0 ? -due : 0, collectMethod: due < 0 ? req.collectMethod : undefined, lost: w.state === 'lost' },
    }, now);
    if (w.ticketId && w.state !== 'lost') await releaseCredentials(tx, w.site, [w.ticketId], 'cancelled', now);
    await idem?.claim(tx, { walletId: w.id, movementId });
    return { row: await refreshWallet(tx, w.id, { state: 'settled', closedAt: new Date(now) }), refund, bandFeeFen };
  });
  ctx.notify(out.row.site);
  return { ...(await viewWallet(ctx.db, out.row)), refund: out.refund, bandFeeFen: out.bandFeeFen };
}

/** The answer of a settlement, from its movement (rebuilds a lost answer). */
export async function settledWallet(ctx: CloudContext, walletId: string, movementId: string) {
  const [m] = await ctx.db.select().from(walletMovements).where(eq(walletMovements.id, movementId));
  const d = m!.detail as { refund: { method: string; amountFen: number }[]; bandFeeFen: number };
  return { ...(await getWallet(ctx, walletId)), refund: d.refund, bandFeeFen: d.bandFeeFen };
}

export async function getWallet(ctx: CloudContext, id: string): Promise<WalletView> {
  const [row] = z.string().uuid().safeParse(id).success ? await ctx.db.select().from(wallets).where(eq(wallets.id, id)) : [];
  if (!row) throw new AppError('unknown_wallet', `一卡通账户不存在 / no such wallet: ${id}`, 404, { what: 'wallet', id });
  return viewWallet(ctx.db, row);
}

export async function bandWallet(ctx: CloudContext, uid: string): Promise<WalletView> {
  return viewWallet(ctx.db, await walletOfBand(ctx.db, uid));
}

export async function listWallets(ctx: CloudContext, q: { state?: string; limit: number }) {
  const rows = await ctx.db.select().from(wallets).where(q.state ? eq(wallets.state, q.state) : undefined).orderBy(desc(wallets.openedAt)).limit(q.limit);
  return rows.map((w) => ({ id: w.id, bandUid: w.bandUid, state: w.state, balanceFen: w.balanceFen, depositFen: w.depositFen, holderName: w.holderName, openedAt: w.openedAt.toISOString() }));
}
