import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'drizzle-orm';
import { openHq, type Hq } from '../../test/support/hq.ts';
import { onBothBackends } from '../../test/support/cloud.ts';
import { commitsWith } from '../db/begin.ts';
import { takePlaces, type Place } from './places.ts';


/** A day with a type (day capacity 5), a channel (quota 4) and two slots of 3 (`walkIn` kept for the windows); its places for n persons. */
async function dayOfPlaces(hq: Hq, day: string, walkIn: number) {
  assert.is((await hq.req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1, dailyCapacity: 5 })).status, 201);
  await hq.req('POST', '/api/v1/channels/admin', { code: 'ota', name: 'OTA', kind: 'ota', dailyQuota: 4 });
  assert.is((await hq.req('POST', '/api/v1/slots/demo/main', { fromDay: day, toDay: day, start: '08:00', end: '12:00', everyMinutes: 120, quota: 3, walkIn })).status, 200);
  const db = hq.ctx.db;
  const one = async (q: string, on: { execute: typeof db.execute } = db) => ((await on.execute(sql.raw(q))) as unknown as { rows: Record<string, number>[] }).rows[0] ?? {};
  const ids = await one(`select (select id from channels where code = 'ota') as ch, (select id from ticket_types where code = 'adult') as type`);
  const places = (n: number, walkIn = false): Place[] => [
    { kind: 'quota', channelId: ids.ch!, day, n, quota: 4 },
    { kind: 'slot', site: 'demo', venue: 'main', day, from: '08:00', persons: n, walkIn },
    { kind: 'capacity', typeId: ids.type!, day, persons: n, cap: 5 },
  ];
  return { db, one, places };
}
/** The places of a sale in one statement: taken in order, the first refusal named, nothing after it taken. */
test('quota, slot and day capacity in one statement; the first refused is named and the rest is not taken', async () => {
  const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });
  try {
    const day = '2026-11-27';
    const { db, one, places } = await dayOfPlaces(hq, day, 1);
    const counts = () => one(`select (select used from channel_day_usage where day = '${day}') as used, (select sold from time_slots where day = '${day}' and slot_from = '08:00') as sold,
      (select sold_walk_in from time_slots where day = '${day}' and slot_from = '08:00') as walk_in, (select sold from day_capacity where day = '${day}') as cap`);

    const first = await db.transaction((tx) => takePlaces(tx, places(2)));
    assert.is(first.failed, -1, 'all three taken');
    assert.equal({ from: first.slot?.slotFrom, to: first.slot?.slotTo, sold: first.slot?.sold }, { from: '08:00', to: '10:00', sold: 2 }, 'the slot as taken');
    assert.equal(await counts(), { used: 2, sold: 2, walk_in: 0, cap: 2 });

    // One more person than the slot keeps for everyone but the windows (3 - 1 walk-in): refused at the slot (index 1).
    const refused = await db.transaction(async (tx) => {
      const r = await takePlaces(tx, places(1));
      const mid = await one(`select (select sold from day_capacity where day = '${day}') as cap`, tx);
      return { failed: r.failed, slot: r.slot, capInTx: (mid as { cap: number }).cap };
    });
    assert.is(refused.failed, 1, 'the slot refused');
    assert.is(refused.slot, undefined);
    assert.is(refused.capInTx, 2, 'the capacity after it was not taken');
    // (This transaction committed: the quota it took before the refusal stays; a sale rolls back on a refusal.)
    assert.equal(await counts(), { used: 3, sold: 2, walk_in: 0, cap: 2 });

    // A window takes the walk-in share; then the quota (4) refuses the next booking first (index 0).
    const walk = await db.transaction((tx) => takePlaces(tx, [places(1, true)[1]!]));
    assert.is(walk.failed, -1);
    assert.is(walk.slot?.soldWalkIn, 1);
    assert.is((await db.transaction((tx) => takePlaces(tx, places(2)))).failed, 0, 'the quota refused');
    // Day capacity 5, 2 sold: 4 more are refused on their own.
    assert.is((await db.transaction((tx) => takePlaces(tx, [places(4)[2]!]))).failed, 0);
    assert.is((await db.transaction((tx) => takePlaces(tx, [places(3)[2]!]))).failed, -1);
    assert.equal(await counts(), { used: 3, sold: 2, walk_in: 1, cap: 5 });
  } finally {
    await hq.close();
  }
});

/** The places as a transaction's last statement: on a Postgres server its commit goes with them; a refusal rolls everything back either way. */
onBothBackends(test, 'places taken last: committed with the statement on Postgres; a refusal takes nothing and leaves the transaction open for reads', async (extra, label) => {
  const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0), ...extra });
  try {
    const day = '2026-11-28';
    const { db, one, places } = await dayOfPlaces(hq, day, 0);
    const counts = (on?: { execute: typeof db.execute }) => one(`select (select used from channel_day_usage where day = '${day}') as used,
      (select sold from time_slots where day = '${day}' and slot_from = '08:00') as sold, (select sold from day_capacity where day = '${day}') as cap`, on);
    const server = await db.transaction(async (tx) => commitsWith(tx));
    assert.is(server, label === 'postgres', 'a server connection sends the commit with the statement, PGlite does not');
    assert.is(await db.transaction((tx) => tx.transaction(async (sp) => commitsWith(sp))), false, 'never from a savepoint');

    const first = await db.transaction(async (tx) => {
      const r = await takePlaces(tx, places(2), { last: true });
      // On a server the commit went with the places: another connection sees them before drizzle's `commit`.
      return { r, seen: server ? await counts() : undefined };
    });
    assert.is(first.r.failed, -1);
    assert.equal({ from: first.r.slot?.slotFrom, sold: first.r.slot?.sold }, { from: '08:00', sold: 2 }, 'the slot as taken');
    if (server) assert.equal(first.seen, { used: 2, sold: 2, cap: 2 }, 'committed with the statement');
    assert.equal(await counts(), { used: 2, sold: 2, cap: 2 });

    // Two more than the slot has left: refused at the slot; the quota taken before it goes back with
    // the rollback, and the transaction still answers reads (the caller's message) until it throws.
    const refusal = new Error('refused');
    let seenInTx: Record<string, number> | undefined;
    let failed: number | undefined;
    await db.transaction(async (tx) => {
      const r = await takePlaces(tx, places(2), { last: true });
      failed = r.failed;
      seenInTx = await counts(tx);
      throw refusal;
    }).then(() => assert.unreachable('the caller threw'), (e: unknown) => assert.is(e, refusal));
    assert.is(failed, 1, 'the slot refused');
    assert.is(seenInTx?.sold, 2, 'read after the refusal, in the transaction');
    assert.equal(await counts(), { used: 2, sold: 2, cap: 2 }, 'nothing taken');

    if (server) {
      // Nothing may follow the places sent with the commit: a statement after them fails (it would run outside the transaction).
      const late = await db.transaction(async (tx) => {
        await takePlaces(tx, places(1), { last: true });
        return counts(tx).then(() => 'ran', (e: Error) => ((e.cause as Error | undefined) ?? e).message);
      }).catch((e: Error) => e.message);
      assert.match(String(late), /after its transaction's commit/, String(late));
      assert.equal(await counts(), { used: 3, sold: 3, cap: 3 }, 'the places went with their commit');
      // The connection is sound afterwards.
      assert.equal(await db.transaction((tx) => counts(tx)), { used: 3, sold: 3, cap: 3 });
    }
  } finally {
    await hq.close();
  }
});

test.run();
