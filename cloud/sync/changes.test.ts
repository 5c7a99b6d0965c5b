/**
 * The change log's numbering (cloud/sync/changes.ts): sales write their rows unnumbered
 * (change_pending) and changes_flush() numbers the committed ones under the log's lock, so a
 * device reading since=N never skips a change that commits late. On Postgres when
 * TEST_DATABASE_URL names one (two transactions at once), else PGlite (the rest).
 */
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChangeBody } from '../../shared/sync/messages.ts';
import { auditedTx } from '../audit/chain.ts';
import { openHq } from '../../test/support/hq.ts';
import { freshPostgres } from '../../test/support/cloud.ts';
import { appendChanges, changesAtEnd, flushChanges, readChanges } from './changes.ts';

const pg = await freshPostgres();
const hq = await openHq({ databaseUrl: pg?.url });
const db = hq.ctx.db;

const revoke = (ticketId: string): ChangeBody => ({ kind: 'revoke', ticketId, reason: 'test' });
async function count(table: 'changes' | 'change_pending'): Promise<number> {
  const r = (await db.execute(`select count(*)::int as n from ${table}`)) as unknown as { rows?: { n: number }[] } & { n: number }[];
  return (r.rows ?? r)[0]!.n;
}
const read = (since: number) => readChanges(db, { site: 'demo', since, limit: 1000, now: hq.clock.now, logId: hq.ctx.changeLog });
const seqOf = (page: Awaited<ReturnType<typeof read>>, ticketId: string) =>
  page.changes.find((c) => c.kind === 'revoke' && c.ticketId === ticketId)?.seq;

test('a sale\'s rows wait unnumbered after its commit; a read numbers what a crash left', async () => {
  const t = randomUUID();
  const before = await count('changes');
  // The sale's transaction with no flush after it (as if HQ died between the commit and the batch).
  await auditedTx(db, (tx) => changesAtEnd(tx, () => appendChanges(tx, 'demo', [revoke(t)])));
  assert.is(await count('change_pending'), 1);
  assert.is(await count('changes'), before, 'not in the log before it is numbered');
  const page = await read(0);
  assert.ok(seqOf(page, t), 'the read numbered and returned it');
  assert.is(await count('change_pending'), 0);
});

test('a writer that takes numbers itself numbers the sales committed before it first', async () => {
  const sold = randomUUID();
  const revoked = randomUUID();
  await auditedTx(db, (tx) => changesAtEnd(tx, () => appendChanges(tx, 'demo', [revoke(sold)])));
  const [seq] = await db.transaction((tx) => appendChanges(tx, 'demo', [revoke(revoked)]));
  const page = await read(0);
  assert.ok(seqOf(page, sold)! < seq!, `the sale's row (${seqOf(page, sold)}) comes before the later writer's (${seq})`);
  assert.is(seqOf(page, revoked), seq);
});

test('a sale that commits late gets a later number: a device reading since=N does not skip it', async () => {
  if (!pg) return; // PGlite has one connection: two transactions cannot be open at once.
  const late = randomUUID();
  const early = randomUUID();
  let commit!: () => void;
  const held = new Promise<void>((r) => (commit = r));
  let written!: () => void;
  const pending = new Promise<void>((r) => (written = r));
  // The late sale: its rows written, its commit held back.
  const lateSale = auditedTx(db, async (tx) => {
    await changesAtEnd(tx, () => appendChanges(tx, 'demo', [revoke(late)]));
    written();
    await held;
  });
  await pending;
  // Another sale commits and is numbered meanwhile (with the old lock held to commit, it would wait here).
  await auditedTx(db, (tx) => changesAtEnd(tx, () => appendChanges(tx, 'demo', [revoke(early)])));
  await flushChanges(db);
  const first = await read(0);
  assert.ok(seqOf(first, early));
  assert.is(seqOf(first, late), undefined, 'not visible before its commit');
  commit();
  await lateSale;
  await flushChanges(db);
  const next = await read(first.next);
  assert.ok(seqOf(next, late)! > first.next, 'numbered after the checkpoint the device holds');
});

test.after(async () => {
  await hq.close();
  await pg?.drop();
});

test.run();
