import type { CloudContext } from '../context.ts';
import { walletLines, walletMovements } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, type Tx } from '../office/audit.ts';
import { heldOrder, payIn, payOut } from './held.ts';
import type { Method } from './payments.ts';
import type { Actor } from './till.ts';

/** Where a wallet's money sits (see cloud/db/schema/wallet.ts): debit positive, every movement sums to 0. */
export const walletAccount = {
  pay: (method: string) => `pay:${method}`,
  wallet: (id: string) => `wallet:${id}`,
  deposit: (id: string) => `deposit:${id}`,
  locker: (id: string) => `locker:${id}`,
  shop: (code: string) => `shop:${code}`,
  bandFee: 'fee:band',
  lockerFee: 'fee:locker',
} as const;

/** Methods a wallet is paid in and out by at a desk. */
const DESK_METHODS = new Set<string>(['cash', 'card', 'mobile']);

export type MovementKind = 'issue' | 'topup' | 'charge' | 'charge_void' | 'locker_hold' | 'locker_release' | 'settle';

export interface Movement {
  /** Idempotency key: the same id recorded twice is one movement. */
  id: string;
  walletId: string;
  /** The band, named on the wallet's order with the ledger. */
  bandUid?: string;
  site: string;
  kind: MovementKind;
  at: number;
  /** The audit log's actor: `user:<name>` or `device:<site>/<device>`. */
  actor: string;
  shop?: string;
  detail?: Record<string, unknown>;
  lines: { account: string; amountFen: number }[];
}

/**
 * A wallet's money movement, in the caller's transaction: the movement and its lines (the
 * wallet's double-entry journal) with its audit record and, for the lines on `pay:<method>`
 * (money taken in or paid back at a desk), the payments and the refund on the wallet's order
 * in `book`'s book (the desk's shift, the kiosk's shift of the day, or the office's cash
 * book), so shifts, the reconciliation and the audit see wallet money as they see any other.
 * A movement without desk money (a charge at a shop, a locker deposit held) needs no book.
 * False when a movement of this id exists (a retry: nothing written).
 */
export async function walletMovement(tx: Tx, ctx: CloudContext, book: Actor | null, m: Movement, now: number): Promise<boolean> {
  const lines = m.lines.filter((l) => l.amountFen !== 0);
  if (lines.some((l) => !Number.isSafeInteger(l.amountFen))) throw new Error(`movement ${m.id}: amounts must be integer fen`);
  const sum = lines.reduce((s, l) => s + l.amountFen, 0);
  if (sum !== 0) throw new Error(`movement ${m.id} does not balance (${sum} fen)`);
  // One line per account: a movement that names an account twice is merged.
  const merged = new Map<string, number>();
  for (const l of lines) merged.set(l.account, (merged.get(l.account) ?? 0) + l.amountFen);
  const desk = [...merged].filter(([acc, a]) => acc.startsWith('pay:') && a !== 0).map(([acc, a]) => ({ method: acc.slice(4), amountFen: a }));
  if (desk.some((d) => !DESK_METHODS.has(d.method))) throw new Error(`movement ${m.id}: a wallet is paid by cash, card or mobile`);
  if (desk.length && !book) throw new AppError('no_book', `movement ${m.id} moves money at a desk without a book`, 500);
  const inserted = await tx.insert(walletMovements).values({
    id: m.id, walletId: m.walletId, site: m.site, kind: m.kind, at: new Date(m.at), recordedAt: new Date(now), actor: m.actor,
    shop: m.shop ?? null, detail: m.detail ?? {},
  }).onConflictDoNothing().returning({ id: walletMovements.id });
  if (!inserted.length) return false;
  const rows = [...merged].filter(([, a]) => a !== 0).map(([acc, amountFen]) => ({ movementId: m.id, account: acc, amountFen }));
  if (rows.length) await tx.insert(walletLines).values(rows);
  await appendAudit(tx, { at: now, actor: m.actor, action: `wallet.${m.kind}`, subject: `wallet:${m.walletId}`, body: { movement: m.id, shop: m.shop, lines: rows.map((r) => [r.account, r.amountFen]), ...m.detail } });
  if (desk.length) {
    const order = await heldOrder(tx, book!, { kind: 'wallet', id: m.walletId, site: m.site, note: `一卡通 ${m.bandUid ?? m.walletId}`, at: m.at, timeZone: ctx.config.timeZone });
    for (const d of desk.filter((x) => x.amountFen > 0)) await payIn(tx, book!, order, { method: d.method as Method, amountFen: d.amountFen, reference: m.id, at: m.at });
    const out = desk.filter((x) => x.amountFen < 0).map((x) => ({ method: x.method as Method, amountFen: -x.amountFen }));
    if (out.length) await payOut(tx, book!, order, { parts: out, reason: `一卡通${m.kind === 'settle' ? '离园结算' : m.kind}退款 ${m.id}`, at: m.at });
  }
  return true;
}
