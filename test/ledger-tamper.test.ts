/**
 * The tamper matrix: HQ makes a day's worth of financial rows through its HTTP API, then
 * someone with full access to the database edits it directly, as an attacker would: for
 * each audited table, a value edited, a row deleted, a row inserted (triggers off, so
 * nothing is recorded), the same with the triggers on (recorded, but a written fact
 * changed), and the chain's own records edited, removed and added. `GET /audit/verify`
 * must report each one, naming table, key and column; and be clean again once the
 * database is put back.
 */
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'drizzle-orm';
import { AUDITED_TABLES, type AuditedTable } from '../cloud/audit/tables.ts';
import type { Db } from '../cloud/db/open.ts';
import { api, freshPostgres, startTestCloud } from './support/cloud.ts';
import { cash, must, seedOffice } from './support/office.ts';

type TestCloud = Awaited<ReturnType<typeof startTestCloud>>;
type Row = Record<string, unknown>;
const rows = async <T = Row>(db: Db, q: ReturnType<typeof sql>) => ((await db.execute(q)) as unknown as { rows: T[] }).rows;
const arr = (a: string[] | undefined) => sql.raw(`'{${(a ?? []).join(',')}}'::text[]`);
const keyOf = (t: AuditedTable) => sql.raw(`audit_key(audit_image(to_jsonb(x), '{${(t.only ?? []).join(',')}}'::text[], '{${(t.redact ?? []).join(',')}}'::text[]), '{${t.key.join(',')}}'::text[])`);

/** A transaction as someone who switched the triggers off (needs full database access). */
const asAttacker = (db: Db, fn: (tx: Db) => Promise<unknown>) => db.transaction(async (tx) => {
  await tx.execute(sql`set local session_replication_role = replica`);
  await fn(tx as unknown as Db);
});

/** Everything financial HQ writes, made through its API. */
async function makeDay(u: string) {
  const { sellers, finance } = await seedOffice(u);
  const [s1, s2] = sellers as [typeof sellers[0], typeof sellers[0]];
  for (const s of sellers) must(await api(u, `/api/v1/users/${s.id}`, { method: 'PATCH', body: { permissions: ['refund'] } }), 200);
  must(await api(u, '/api/v1/price-rules', { body: { type: 'adult', name: '旺季', fromDay: '2030-07-01', toDay: '2030-08-31', priceFen: 13000, priority: 0 } }), 201);
  must(await api(u, '/api/v1/holidays/2030-10-01', { method: 'PUT', body: { name: '国庆' } }), 200);
  must(await api(u, '/api/v1/capacity/adult/2030-10-01', { method: 'PUT', body: { capacity: 500 } }), 200);
  must(await api(u, '/api/v1/sites/demo/devices/kiosk-9', { method: 'PUT', body: { role: 'kiosk' } }), 200);
  const acct = must(await api(u, '/api/v1/customer-accounts', { body: { name: '合作旅行社', category: 'agency', creditLimitFen: 500_000 } }), 201);
  must(await api(u, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'deposit', amount: 100_000, note: '预存' } }), 201);
  must(await api(u, '/api/v1/vouchers', { body: { code: 'TM-1', valueFen: 3000 } }), 201);
  must(await api(u, '/api/v1/vouchers', { body: { code: 'TM-2', valueFen: 3000 } }), 201);
  const batch = must(await api(u, '/api/v1/stock/batches', { token: finance.token, body: { type: 'adult', prefix: 'TM', firstNumber: 1, count: 4 } }), 201);
  const serials = Array.from({ length: 4 }, (_, i) => `TM${String(i + 1).padStart(8, '0')}`);
  must(await api(u, '/api/v1/stock/receive', { token: finance.token, body: { serials } }), 200);
  must(await api(u, '/api/v1/stock/issue', { token: finance.token, body: { serials: serials.slice(0, 2), to: s1.id } }), 200);
  const shifts = [];
  for (const s of sellers) shifts.push(must(await api(u, '/api/v1/shifts', { token: s.token, body: { floatFen: 10000 } }), 201));
  const orders = [
    must(await api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000, 30000)] } }), 201),
    must(await api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity: 1, barcodes: [serials[0]] }, { type: 'child', quantity: 1, discount: 'half' }], payments: [{ method: 'voucher', amountFen: 3000, code: 'TM-1' }, { method: 'card', amountFen: 12000, reference: 'POS-1' }] } }), 201),
    must(await api(u, '/api/v1/orders', { token: s2.token, body: { account: acct.id, lines: [{ type: 'child', quantity: 3 }], payments: [{ method: 'deposit', amountFen: 10000 }, { method: 'on_account', amountFen: 8000 }] } }), 201),
  ];
  const t0 = orders[0].lines[0].tickets;
  must(await api(u, `/api/v1/orders/${orders[0].id}/refunds`, { token: s1.token, body: { tickets: [t0[0].id], method: 'cash', reason: '游客退票' } }), 201);
  must(await api(u, `/api/v1/tickets/${t0[1].id}/reissue`, { token: s1.token, body: { reason: 'lost' } }), 201);
  must(await api(u, `/api/v1/shifts/${shifts[1].id}/close`, { token: s2.token, body: { counted: { cash: 10000 } } }), 200);
  return { batch, orders };
}

interface Column { name: string; type: string }
async function columnsOf(db: Db, table: string): Promise<Column[]> {
  return rows<Column>(db, sql`select column_name as name, data_type as type from information_schema.columns where table_schema = current_schema() and table_name = ${table} order by ordinal_position`);
}

/** A value of the same type that differs from the one there. */
function changed(c: Column): ReturnType<typeof sql> {
  const col = sql.identifier(c.name);
  if (/int|numeric/.test(c.type)) return sql`coalesce(${col}, 0) * 100 + 1`;
  if (c.type === 'boolean') return sql`not coalesce(${col}, false)`;
  if (c.type.startsWith('timestamp')) return sql`coalesce(${col}, now()) + interval '1 day'`;
  if (c.type === 'jsonb') return sql`jsonb_build_object('forged', ${col})`;
  if (c.type === 'uuid') return sql`gen_random_uuid()`;
  return sql`coalesce(${col}, '') || '·改'`;
}

/** The column an attacker would go for: money first, else the first that is not the key. */
async function targetColumn(db: Db, t: AuditedTable): Promise<Column | undefined> {
  const cols = (await columnsOf(db, t.table)).filter((c) => !t.key.includes(c.name) && !(t.redact ?? []).includes(c.name) && (!t.only || t.only.includes(c.name)));
  return cols.find((c) => /_fen$|^amount$/.test(c.name)) ?? cols[0];
}

interface Tampering { table: string; key: string; column?: string; kind: string }

async function sampleRow(db: Db, t: AuditedTable): Promise<{ key: string; row: Row } | undefined> {
  const [r] = await rows<{ k: string; row: Row }>(db, sql`select ${keyOf(t)} as k, to_jsonb(x) as row from ${sql.identifier(t.table)} x order by 1 desc limit 1`);
  return r && { key: r.k, row: r.row };
}

const reinsert = (tx: Db, table: string, row: Row) =>
  tx.execute(sql`insert into ${sql.identifier(table)} select * from jsonb_populate_record(null::${sql.identifier(table)}, ${JSON.stringify(row)}::jsonb)`);

/** The row with every unique column moved to a new value, so it can stand beside the original. */
async function forgedCopy(db: Db, t: AuditedTable, row: Row): Promise<Row> {
  const uniques = await rows<{ col: string }>(db, sql`
    select distinct a.attname as col from pg_index i join pg_class c on c.oid = i.indrelid
    join pg_attribute a on a.attrelid = c.oid and a.attnum = any (i.indkey)
    where c.relname = ${t.table} and i.indisunique`);
  const types = new Map((await columnsOf(db, t.table)).map((c) => [c.name, c.type]));
  const out = { ...row };
  for (const { col } of uniques) {
    const v = row[col];
    if (v === null || v === undefined) continue;
    const type = types.get(col)!;
    out[col] = type === 'uuid' ? randomUUID() : /int|numeric/.test(type) ? Number(v) + 100_000 : `${String(v)}-X`;
  }
  return out;
}

const verify = async (u: string) => must(await api(u, '/api/v1/audit/verify'), 200);

function expectFindings(v: { ok: boolean; problems: any[] }, want: Tampering[], what: string) {
  assert.not.ok(v.ok, what);
  for (const w of want) {
    const hit = v.problems.find((p) => p.kind === w.kind && p.table === w.table && p.key === w.key && (w.column === undefined || p.column === w.column));
    assert.ok(hit, `${what}: ${w.kind} ${w.table} ${w.key} ${w.column ?? ''} not reported; got ${JSON.stringify(v.problems.filter((p) => p.table === w.table))}`);
    assert.match(hit.problem, /[\u4e00-\u9fff]/, 'in Chinese');
  }
  // Nothing reported that was not done.
  for (const p of v.problems) {
    assert.ok(want.some((w) => w.table === p.table && w.key === p.key), `${what}: unexpected ${JSON.stringify(p)}`);
  }
}

async function matrix(cloud: TestCloud) {
  const u = cloud.url;
  const db = cloud.ctx!.db;
  await makeDay(u);
  const clean = await verify(u);
  assert.ok(clean.ok, JSON.stringify(clean.problems.slice(0, 5)));

  const samples = new Map<string, { key: string; row: Row }>();
  for (const t of AUDITED_TABLES) {
    const s = await sampleRow(db, t);
    if (s) samples.set(t.table, s);
  }
  // The day touches these at least; a table left empty here is not tested (listed on failure).
  const must_cover = ['sales', 'tickets', 'credentials', 'orders', 'payments', 'refunds', 'ticket_events', 'customer_accounts', 'account_entries',
    'vouchers', 'voucher_redemptions', 'stock_batches', 'stock_items', 'stock_moves', 'shifts', 'ticket_types', 'price_rules', 'holidays',
    'discounts', 'day_capacity', 'users', 'seller_types', 'seller_discounts', 'devices'];
  assert.equal(must_cover.filter((t) => !samples.has(t)), [], 'tables the day must fill');
  const covered = AUDITED_TABLES.filter((t) => samples.has(t.table));

  // 1. A value edited, triggers off: every table at once, each reported with its column.
  const edits: Tampering[] = [];
  const targets = new Map<string, Column>();
  // (a table of key columns only, such as a grant, has nothing to edit but its key: 2 and 3 below)
  for (const t of covered) {
    const c = await targetColumn(db, t);
    if (c) targets.set(t.table, c);
  }
  await asAttacker(db, async (tx) => {
    for (const t of covered.filter((x) => targets.has(x.table))) {
      const s = samples.get(t.table)!;
      const c = targets.get(t.table)!;
      await tx.execute(sql`update ${sql.identifier(t.table)} x set ${sql.identifier(c.name)} = ${changed(c)} where ${keyOf(t)} = ${s.key}`);
      edits.push({ table: t.table, key: s.key, column: c.name, kind: 'row_edited' });
    }
  });
  expectFindings(await verify(u), edits, 'edited values');
  await asAttacker(db, async (tx) => {
    for (const t of covered) {
      const s = samples.get(t.table)!;
      await tx.execute(sql`delete from ${sql.identifier(t.table)} x where ${keyOf(t)} = ${s.key}`);
      await reinsert(tx, t.table, s.row);
    }
  });
  let v = await verify(u);
  assert.ok(v.ok, `put back: ${JSON.stringify(v.problems.slice(0, 3))}`);

  // 2. A row deleted, triggers off.
  await asAttacker(db, async (tx) => {
    for (const t of covered) await tx.execute(sql`delete from ${sql.identifier(t.table)} x where ${keyOf(t)} = ${samples.get(t.table)!.key}`);
  });
  expectFindings(await verify(u), covered.map((t) => ({ table: t.table, key: samples.get(t.table)!.key, kind: 'row_deleted' })), 'deleted rows');
  await asAttacker(db, async (tx) => {
    for (const t of covered) await reinsert(tx, t.table, samples.get(t.table)!.row);
  });
  v = await verify(u);
  assert.ok(v.ok, `put back: ${JSON.stringify(v.problems.slice(0, 3))}`);

  // 3. A row inserted, triggers off (a copy of a real one under a new key).
  const inserted: Tampering[] = [];
  const forged = new Map<string, string>();
  const copies = new Map<string, Row>();
  for (const t of covered) copies.set(t.table, await forgedCopy(db, t, samples.get(t.table)!.row));
  await asAttacker(db, async (tx) => {
    for (const t of covered) {
      const copy = copies.get(t.table)!;
      await reinsert(tx, t.table, copy);
      const [k] = await rows<{ k: string }>(tx, sql`select ${keyOf(t)} as k from jsonb_populate_record(null::${sql.identifier(t.table)}, ${JSON.stringify(copy)}::jsonb) x`);
      forged.set(t.table, k!.k);
      inserted.push({ table: t.table, key: k!.k, kind: 'row_inserted' });
    }
  });
  expectFindings(await verify(u), inserted, 'inserted rows');
  await asAttacker(db, async (tx) => {
    for (const t of covered) await tx.execute(sql`delete from ${sql.identifier(t.table)} x where ${keyOf(t)} = ${forged.get(t.table)!}`);
  });
  v = await verify(u);
  assert.ok(v.ok, `put back: ${JSON.stringify(v.problems.slice(0, 3))}`);

  // 4. A table taken off the chain (its trigger dropped) is named, and its rows are still checked.
  await db.execute(sql`drop trigger audit_row on account_entries`);
  v = await verify(u);
  assert.equal(v.problems.map((p: any) => [p.kind, p.table]), [['no_trigger', 'account_entries']]);
  await db.execute(sql`select audit_track('account_entries', 'id')`); // put back (re-images the rows)
  assert.ok((await verify(u)).ok);

  // 5. The issue's cases, triggers on: recorded, but written facts changed.
  const deposit = (await rows<{ id: string }>(db, sql`select id from account_entries where ledger = 'deposit' order by created_at limit 1`))[0]!.id;
  const order = (await rows<{ id: string }>(db, sql`select id from orders where total_fen > 0 order by created_at limit 1`))[0]!.id;
  const sale = (await rows<{ id: string }>(db, sql`select id from sales order by created_at limit 1`))[0]!.id;
  const payment = (await rows<{ id: string }>(db, sql`select id from payments order by created_at desc limit 1`))[0]!.id;
  await db.execute(sql`update account_entries set amount = amount * 100 where id = ${deposit}`);
  await db.execute(sql`update orders set total_fen = total_fen / 10 where id = ${order}`);
  await db.execute(sql`update sales set total_fen = 1 where id = ${sale}`);
  await db.execute(sql`delete from voucher_redemptions where payment_id = ${payment}`);
  await db.execute(sql`delete from payments where id = ${payment}`);
  v = await verify(u);
  const seen = (kind: string, table: string, key: string, column?: string) =>
    assert.ok(v.problems.some((p: any) => p.kind === kind && p.table === table && p.key === key && (!column || p.column === column)), `${kind} ${table} ${key} ${column ?? ''}: ${JSON.stringify(v.problems)}`);
  seen('forbidden_change', 'account_entries', deposit, 'amount');
  seen('forbidden_change', 'orders', order, 'total_fen');
  seen('forbidden_change', 'sales', sale, 'total_fen');
  seen('forbidden_delete', 'payments', payment);

  // 6. The chain's own records: one edited, one removed.
  const [mid] = await rows<{ seq: string }>(db, sql`select seq from audit_log where tbl = 'payments' order by seq limit 1`);
  await db.execute(sql`update audit_log set body = jsonb_set(body, '{amount_fen}', '1') where seq = ${mid!.seq}`);
  await db.execute(sql`delete from audit_log where seq = ${Number(mid!.seq) + 1}`);
  v = await verify(u);
  assert.ok(v.problems.some((p: any) => p.kind === 'record_edited' && p.seq === Number(mid!.seq)), JSON.stringify(v.problems.slice(0, 5)));
  assert.ok(v.problems.some((p: any) => p.kind === 'record_missing' && p.seq === Number(mid!.seq) + 2), JSON.stringify(v.problems.slice(0, 5)));
}


/**
 * Undoes every row change recorded from `fromSeq` on and removes those records: the perfect
 * tail deletion, after which the database agrees with itself (triggers off throughout).
 */
async function undoTail(db: Db, tx: Db, fromSeq: number) {
  const recs = await rows<{ seq: string; tbl: string | null; subject: string; action: string }>(db, sql`select seq, tbl, subject, action from audit_log where seq >= ${fromSeq} order by seq desc`);
  const work: ReturnType<typeof sql>[] = [];
  for (const r of recs) {
    const t = AUDITED_TABLES.find((x) => x.table === r.tbl);
    if (!t) continue;
    const tbl = sql.identifier(t.table);
    if (r.action === 'insert' || r.action === 'baseline') { work.push(sql`delete from ${tbl} x where ${keyOf(t)} = ${r.subject}`); continue; }
    const [prev] = await rows<{ body: Row }>(db, sql`select body from audit_log where tbl = ${t.table} and subject = ${r.subject} and seq < ${r.seq} order by seq desc limit 1`);
    if (r.action === 'delete') { work.push(sql`insert into ${tbl} select * from jsonb_populate_record(null::${tbl}, ${JSON.stringify(prev!.body)}::jsonb)`); continue; }
    const cols = Object.keys(prev!.body).filter((c) => !(t.redact ?? []).includes(c));
    work.push(sql`update ${tbl} x set ${sql.join(cols.map((c) => sql`${sql.identifier(c)} = r.${sql.identifier(c)}`), sql`, `)}
      from jsonb_populate_record(null::${tbl}, ${JSON.stringify(prev!.body)}::jsonb) r where ${keyOf(t)} = ${r.subject}`);
  }
  for (const q of work) await tx.execute(q);
  await tx.execute(sql`delete from audit_log where seq >= ${fromSeq}`);
}

/** The chain's tail deleted, or the chain hashed again after an edit: only the signed heads outside the database can tell. */
async function tail(cloud: TestCloud) {
  const u = cloud.url;
  const db = cloud.ctx!.db;
  const { sellers } = await seedOffice(u);
  const s1 = sellers[0]!;
  must(await api(u, '/api/v1/shifts', { token: s1.token, body: { floatFen: 0 } }), 201);
  for (let i = 0; i < 3; i++) must(await api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } }), 201);
  const anchor = must(await api(u, '/api/v1/audit/anchors', { method: 'POST' }), 200);
  let v = await verify(u);
  assert.ok(v.ok, JSON.stringify(v.problems));
  assert.equal(v.anchor, { seq: anchor.seq, hash: anchor.hash, at: anchor.at });
  const [file] = cloud.ctx!.audit!.anchors().slice(-1);
  assert.equal(file, anchor, 'the anchor is in the file log');

  // A payment edited, its image edited to match, and the chain hashed again from there.
  const pay = (await rows<{ id: string; seq: string }>(db, sql`
    select p.id, (select max(seq) from audit_log where tbl = 'payments' and subject = p.id::text) as seq from payments p order by created_at limit 1`))[0]!;
  await asAttacker(db, async (tx) => {
    await tx.execute(sql`update payments set amount_fen = amount_fen * 10 where id = ${pay.id}`);
    await tx.execute(sql`update audit_log set body = jsonb_set(body, '{amount_fen}', to_jsonb((body ->> 'amount_fen')::bigint * 10)) where seq = ${pay.seq}`);
    await tx.execute(sql.raw(`DO $$ DECLARE r record; prev text; BEGIN
      SELECT hash INTO prev FROM audit_log WHERE seq = ${Number(pay.seq) - 1};
      FOR r IN SELECT * FROM audit_log WHERE seq >= ${Number(pay.seq)} ORDER BY seq LOOP
        UPDATE audit_log SET prev_hash = prev, row_hash = encode(sha256(convert_to(r.body::text, 'UTF8')), 'hex'),
          hash = encode(sha256(convert_to(prev || jsonb_build_array(r.seq, (extract(epoch FROM r.at) * 1000000)::bigint, r.actor, r.action, r.subject, r.tbl,
            encode(sha256(convert_to(r.body::text, 'UTF8')), 'hex'))::text, 'UTF8')), 'hex')
        WHERE seq = r.seq RETURNING hash INTO prev;
      END LOOP; END $$`));
  });
  v = await verify(u);
  assert.equal(v.problems.map((p: any) => p.kind), ['chain_recomputed'], JSON.stringify(v.problems));
  assert.is(v.problems[0].seq, anchor.seq);
  assert.match(v.problems[0].problem, /审计链被改写后重算/);

  // The newest sale, its payment and every record of its transaction deleted, its rows undone.
  const newest = (await rows<{ id: string }>(db, sql`select id from payments order by created_at desc, id desc limit 1`))[0]!.id;
  const [first] = await rows<{ seq: string }>(db, sql`select min(seq) as seq from audit_log where tx = (select tx from audit_log where tbl = 'payments' and subject = ${newest})`);
  await asAttacker(db, (tx) => undoTail(tx, tx, Number(first!.seq)));
  assert.equal(await rows(db, sql`select id from payments where id = ${newest}`), []);
  v = await verify(u);
  assert.ok(v.problems.some((p: any) => p.kind === 'tail_deleted' && p.seq === anchor.seq), JSON.stringify(v.problems));
  assert.equal(v.problems.filter((p: any) => p.table), [], 'nothing else in the database disagrees');
  assert.match(v.problems.find((p: any) => p.kind === 'tail_deleted').problem, /审计链尾部被删除/);

  // HQ signs the shorter head at its next anchor: the older anchor still tells.
  await db.execute(sql`update ticket_types set name = name || '·' where code = 'child'`);
  must(await api(u, '/api/v1/audit/anchors', { method: 'POST' }), 200);
  v = await verify(u);
  assert.ok(v.problems.some((p: any) => ['tail_deleted', 'chain_recomputed'].includes(p.kind) && p.seq === anchor.seq), JSON.stringify(v.problems));
}

test('PGlite: every tampering with a financial table is reported, with table, key and column', async () => {
  const cloud = await startTestCloud();
  try {
    await matrix(cloud);
  } finally {
    await cloud.cleanup();
  }
});

test('PGlite: a deleted tail and a recomputed chain are caught by the signed heads', async () => {
  const cloud = await startTestCloud();
  try {
    await tail(cloud);
  } finally {
    await cloud.cleanup();
  }
});

(process.env.TEST_DATABASE_URL || process.env.CI ? test : test.skip)('Postgres server: the same matrix and tail', async () => {
  for (const run of [matrix, tail]) {
    const pg = await freshPostgres();
    assert.ok(pg, 'TEST_DATABASE_URL must name a Postgres server in CI');
    const cloud = await startTestCloud({ databaseUrl: pg.url });
    try {
      await run(cloud);
    } finally {
      await cloud.cleanup();
      await pg.drop();
    }
  }
});

test.run();
