import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { CloudContext } from '../context.ts';
import { channelRequests } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import type { Tx } from '../tickets/issue.ts';
import { auditedTx } from '../office/audit.ts';
import { changesAtEnd } from '../sync/changes.ts';

export interface Outcome { status: 200 | 201 | 409 | 422; body: unknown }

/** Idempotency-Key: required on every write of the booking API. */
export function requireKey(value: string | undefined): string {
  if (value === undefined) throw new AppError('idempotency_key_required', '写操作须带 Idempotency-Key / every write needs an Idempotency-Key header', 400);
  if (!/^[\x21-\x7e]{1,128}$/.test(value)) throw new AppError('invalid_idempotency_key', 'Idempotency-Key must be 1-128 printable characters');
  return value;
}

export const requestHash = (what: string, body: unknown) => createHash('sha256').update(`${what}\n${JSON.stringify(body)}`).digest('hex');

function isKeyClash(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (e.code === '23505' && /channel_requests/.test(String(e.message ?? '') + String((e as { constraint?: unknown }).constraint ?? ''))) return true;
    if (/channel_requests_pkey|channel_requests_channel_id_key_pk/.test(String(e.message ?? ''))) return true;
  }
  return false;
}

/**
 * Runs one write of a channel once per key. The key is claimed inside the write's own
 * transaction, so a concurrent retry waits on it and then replays the stored answer; a
 * thrown error rolls the claim back with everything else (a retry tries again), while an
 * outcome returned by `run` (also a refusal, like an expired hold) is stored and replayed.
 * The same key with another request is refused.
 */
export async function idempotent(ctx: CloudContext, channelId: number, key: string, hash: string, run: (tx: Tx) => Promise<Outcome>): Promise<Outcome> {
  for (let attempt = 0; ; attempt++) {
    const [prior] = await ctx.db.select().from(channelRequests).where(and(eq(channelRequests.channelId, channelId), eq(channelRequests.key, key)));
    if (prior) {
      if (prior.requestHash !== hash) {
        throw new AppError('idempotency_conflict', 'Idempotency-Key 已用于另一请求 / this Idempotency-Key was already used for a different request', 409, { key });
      }
      if (prior.status !== null) return { status: prior.status as Outcome['status'], body: prior.response };
    }
    try {
      return await auditedTx(ctx.db, async (tx) => {
        await tx.insert(channelRequests).values({ channelId, key, requestHash: hash, createdAt: new Date(ctx.now()) });
        // The change log's lock is the last one taken (cloud/sync/changes.ts changesAtEnd).
        return changesAtEnd(tx, async () => {
          const out = await run(tx);
          await tx.update(channelRequests).set({ status: out.status, response: out.body as object })
            .where(and(eq(channelRequests.channelId, channelId), eq(channelRequests.key, key)));
          return out;
        });
      });
    } catch (err) {
      if (attempt < 3 && isKeyClash(err)) continue;
      throw err;
    }
  }
}
