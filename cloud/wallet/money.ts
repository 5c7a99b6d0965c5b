import { walletLines, walletMovements } from '../db/schema/index.ts';
import { appendAudit, type Tx } from '../office/audit.ts';

/** Where money sits (see cloud/db/schema/wallet.ts): debit positive, every movement sums to 0. */
export const account = {
  pay: (method: string) => `pay:${method}`,
  wallet: (id: string) => `wallet:${id}`,
  deposit: (id: string) => `deposit:${id}`,
  locker: (id: string) => `locker:${id}`,
  shop: (code: string) => `shop:${code}`,
  bandFee: 'fee:band',
  lockerFee: 'fee:locker',
} as const;

export type MovementKind = 'issue' | 'topup' | 'charge' | 'charge_void' | 'locker_hold' | 'locker_release' | 'settle';

export interface Movement {
  /** Idempotency key: the same id recorded twice is one movement. */
  id: string;
  walletId: string;
  site: string;
  kind: MovementKind;
  at: number;
  actor: string;
  shop?: string;
  detail?: Record<string, unknown>;
  lines: { account: string; amountFen: number }[];
}

/**
 * THE ONE PLACE the wallet writes money at HQ. Records a movement and its lines inside the
 * caller's transaction, with its audit record; false when a movement of this id exists
 * (a retry: nothing written). When cloud/ledger lands, this function is what is repointed
 * to the ledger's writer; nothing else in cloud/wallet inserts money rows.
 */
export async function recordMovement(tx: Tx, m: Movement, now: number): Promise<boolean> {
  const lines = m.lines.filter((l) => l.amountFen !== 0);
  if (lines.some((l) => !Number.isSafeInteger(l.amountFen))) throw new Error(`movement ${m.id}: amounts must be integer fen`);
  const sum = lines.reduce((s, l) => s + l.amountFen, 0);
  if (sum !== 0) throw new Error(`movement ${m.id} does not balance (${sum} fen)`);
  // One line per account: a movement that names an account twice is merged.
  const merged = new Map<string, number>();
  for (const l of lines) merged.set(l.account, (merged.get(l.account) ?? 0) + l.amountFen);
  const inserted = await tx.insert(walletMovements).values({
    id: m.id, walletId: m.walletId, site: m.site, kind: m.kind, at: new Date(m.at), recordedAt: new Date(now), actor: m.actor,
    shop: m.shop ?? null, detail: m.detail ?? {},
  }).onConflictDoNothing().returning({ id: walletMovements.id });
  if (!inserted.length) return false;
  const rows = [...merged].filter(([, a]) => a !== 0).map(([acc, amountFen]) => ({ movementId: m.id, account: acc, amountFen }));
  if (rows.length) await tx.insert(walletLines).values(rows);
  await appendAudit(tx, { at: now, actor: m.actor, action: `wallet.${m.kind}`, subject: `wallet:${m.walletId}`, body: { movement: m.id, shop: m.shop, lines: rows.map((r) => [r.account, r.amountFen]), ...m.detail } });
  return true;
}
