import { chainPending } from './chain.ts';
import type { KeyObject } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { anchorSigned, type Anchor } from './anchor.ts';
import type { Db } from '../db/open.ts';
import { canonical, GENESIS, sha256 } from './chain.ts';
import { AUDITED_TABLES, type AuditedTable } from './tables.ts';

/** What verify found, one thing each, in Chinese and English, naming table, key and column. */
export type FindingKind =
  | 'no_trigger' | 'trigger_disabled' | 'trigger_changed' | 'unlisted_trigger'
  | 'record_missing' | 'chain_broken' | 'record_edited'
  | 'row_inserted' | 'row_deleted' | 'row_edited' | 'forbidden_change' | 'forbidden_delete' | 'shift_report'
  | 'tail_deleted' | 'chain_recomputed' | 'anchor_invalid' | 'anchor_missing';

export interface AuditFinding {
  kind: FindingKind;
  /** Chinese. */
  problem: string;
  problemEn: string;
  seq?: number;
  table?: string;
  /** The row's key (its key columns joined by '/'). */
  key?: string;
  column?: string;
  /** The value the chain holds and the value the row holds now. */
  logged?: unknown;
  current?: unknown;
  /** Kept for older clients: the key, or what the finding is about. */
  subject?: string;
}

export interface AuditVerdict {
  ok: boolean;
  records: number;
  head: string;
  headSeq: number;
  problems: AuditFinding[];
  /** How many rows of audited tables were compared with their images. */
  rows: number;
  /** The newest signed anchor the chain was checked against (null: none found). */
  anchor: { seq: number; hash: string; at: number } | null;
  ms: number;
}

/** Where verify finds the chain's signed heads (the anchor file, the hubs) and the keys that signed them. */
export interface AnchorSource { list: Anchor[]; keys: ReadonlyMap<string, KeyObject> }

type Row = Record<string, unknown>;
const rowsOf = async <T = Row>(db: Db, q: SQL): Promise<T[]> => ((await db.execute(q)) as unknown as { rows: T[] }).rows;
const arr = (a: string[] | undefined) => `{${(a ?? []).map((s) => `"${s}"`).join(',')}}`;
const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
/** At most this many findings of one kind per table are detailed (a wholesale edit is still reported). */
const DETAIL_LIMIT = 200;

/**
 * Checks the audit chain and every audited table against it:
 * 1. every table of the list has its trigger, enabled, with the listed arguments;
 * 2. the chain links from the first record to the last, each record hashing to its hash,
 *    each row image to its row hash (a record edited, removed or inserted breaks this);
 * 3. every row of an audited table equals its newest image (edited, deleted or inserted
 *    with the triggers off is found here, column by column);
 * 4. no recorded change touches what HQ never changes (a written payment, a sealed shift):
 *    an edit made with the triggers on is recorded, and reported here.
 */
export async function verifyAudit(db: Db, opts: { tables?: AuditedTable[]; anchors?: AnchorSource } = {}): Promise<AuditVerdict> {
  const t0 = performance.now();
  // Records committed but not yet chained (auditedTx chains just after commit): chained first, so they are checked.
  await chainPending(db);
  const tables = opts.tables ?? AUDITED_TABLES;
  const problems: AuditFinding[] = [];
  const add = (f: AuditFinding) => problems.push({ subject: f.key, ...f });

  await checkTriggers(db, tables, add);
  const chain = await walkChain(db, add);
  const anchor = opts.anchors ? await checkAnchors(db, opts.anchors, chain.headSeq, add) : null;
  let rows = 0;
  for (const t of tables) rows += await checkRows(db, t, add);
  for (const t of tables) await checkChanges(db, t, add);
  await checkShiftReports(db, add);
  return { ok: problems.length === 0, records: chain.records, head: chain.head, headSeq: chain.headSeq, problems, rows, anchor, ms: Math.round(performance.now() - t0) };
}

async function checkTriggers(db: Db, tables: AuditedTable[], add: (f: AuditFinding) => void) {
  const found = await rowsOf<{ tbl: string; tgname: string; enabled: string; args: string }>(db, sql`
    select c.relname as tbl, t.tgname, t.tgenabled as enabled, encode(t.tgargs, 'escape') as args
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where not t.tgisinternal and n.nspname = current_schema() and t.tgname in ('audit_row', 'audit_flush', 'audit_pending_mark')`);
  const byTable = new Map(found.filter((f) => f.tgname === 'audit_row').map((f) => [f.tbl, f]));
  for (const t of tables) {
    const name = `${t.zh}（${t.table}）`;
    const tr = byTable.get(t.table);
    byTable.delete(t.table);
    if (!tr) {
      add({ kind: 'no_trigger', table: t.table, problem: `表 ${name} 没有审计触发器：它的行不进审计链`, problemEn: `table ${t.table} has no audit trigger: its rows are not chained` });
      continue;
    }
    if (tr.enabled === 'D') add({ kind: 'trigger_disabled', table: t.table, problem: `表 ${name} 的审计触发器被停用`, problemEn: `the audit trigger of ${t.table} is disabled` });
    // tgargs: each argument ends with a NUL, printed by encode(..., 'escape') as \000.
    const args = tr.args.split('\\000').slice(0, 3);
    const want = [t.key.join(','), (t.only ?? []).join(','), (t.redact ?? []).join(',')];
    if (args.join('|') !== want.join('|')) {
      add({ kind: 'trigger_changed', table: t.table, problem: `表 ${name} 的审计触发器参数（${args.join(' / ')}）与清单（${want.join(' / ')}）不符`, problemEn: `the audit trigger of ${t.table} has arguments ${args.join(' / ')}, the list says ${want.join(' / ')}` });
    }
  }
  for (const [tbl] of byTable) add({ kind: 'unlisted_trigger', table: tbl, problem: `表 ${tbl} 有审计触发器，却不在审计清单（cloud/audit/tables.ts）中：校验不检查它的行`, problemEn: `table ${tbl} has an audit trigger but is not on the list (cloud/audit/tables.ts): its rows are not checked` });
  for (const [tgname, tbl] of [['audit_pending_mark', 'audit_pending'], ['audit_flush', 'audit_pending']] as const) {
    const tr = found.find((f) => f.tgname === tgname && f.tbl === tbl);
    if (!tr || tr.enabled === 'D') add({ kind: tr ? 'trigger_disabled' : 'no_trigger', table: tbl, problem: `审计链的提交触发器 ${tgname} ${tr ? '被停用' : '不存在'}：记录不会上链`, problemEn: `the chain's trigger ${tgname} is ${tr ? 'disabled' : 'missing'}: records are not chained` });
  }
}

/** Reads the chain in pages of this many records (PGlite returns a whole result at once). */
const PAGE = 20_000;

async function walkChain(db: Db, add: (f: AuditFinding) => void) {
  let prev = GENESIS;
  let expect = 1;
  let records = 0;
  let after = 0;
  for (;;) {
    const page = await rowsOf<{ seq: string; v: number; prev_hash: string; hash: string; pre: string | null; at: Date | string; actor: string; action: string; subject: string; body: unknown }>(db, sql`
      select seq, v, prev_hash, hash,
        case when v = 2 then jsonb_build_array(seq, (extract(epoch from at) * 1000000)::bigint, actor, action, subject, tbl, row_hash)::text end as pre,
        case when v = 1 then at end as at, actor, action, subject, case when v = 1 then body end as body
      from audit_log where seq > ${after} order by seq limit ${PAGE}`);
    for (const r of page) {
      const seq = Number(r.seq);
      if (seq !== expect) {
        const gap = seq - 1 > expect ? `#${expect}–#${seq - 1}` : `#${expect}`;
        add({ kind: 'record_missing', seq, problem: `审计记录 ${gap} 缺失`, problemEn: `audit record ${gap} missing` });
      }
      if (r.prev_hash !== prev) add({ kind: 'chain_broken', seq, problem: `审计记录 #${seq} 与前一条记录不衔接`, problemEn: `audit record #${seq} does not link to the record before it` });
      const want = r.v === 2
        ? sha256(r.prev_hash + r.pre!)
        : sha256(r.prev_hash + canonical({ seq, at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, subject: r.subject, body: r.body }));
      if (want !== r.hash) add({ kind: 'record_edited', seq, key: r.subject, problem: `审计记录 #${seq}（${r.action} ${r.subject}）写入后被修改`, problemEn: `audit record #${seq} (${r.action} ${r.subject}) was changed after it was written` });
      prev = r.hash;
      expect = seq + 1;
      records++;
    }
    if (page.length < PAGE) break;
    after = Number(page[page.length - 1]!.seq);
  }
  // A row image changed in place (the chain covers its hash, not the image itself).
  const bodies = await rowsOf<{ seq: string; tbl: string | null; subject: string }>(db, sql`
    select seq, tbl, subject from audit_log
    where v = 2 and row_hash is distinct from encode(pg_catalog.sha256(convert_to(body::text, 'UTF8')), 'hex') order by seq limit ${DETAIL_LIMIT}`);
  for (const b of bodies) add({ kind: 'record_edited', seq: Number(b.seq), table: b.tbl ?? undefined, key: b.subject, problem: `审计记录 #${b.seq} 的内容写入后被修改`, problemEn: `the content of audit record #${b.seq} was changed after it was written` });
  return { records, head: prev, headSeq: expect - 1 };
}

const imageSql = (t: AuditedTable) => sql.raw(`audit_image(to_jsonb(x), '${arr(t.only)}'::text[], '${arr(t.redact)}'::text[])`);
const keySql = (t: AuditedTable) => sql.raw(`'${arr(t.key)}'::text[]`);

/** Every row against its newest image: returns the number of rows compared. */
async function checkRows(db: Db, t: AuditedTable, add: (f: AuditFinding) => void): Promise<number> {
  const exists = await rowsOf(db, sql`select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relname = ${t.table} and n.nspname = current_schema()`);
  if (!exists.length) return 0;
  const tbl = sql.identifier(t.table);
  const [count] = await rowsOf<{ n: string }>(db, sql`select count(*) as n from ${tbl}`);
  const odd = await rowsOf<{ k: string; here: boolean; action: string | null; seq: string | null }>(db, sql`
    with cur as (
      select audit_key(i, ${keySql(t)}) as k, encode(pg_catalog.sha256(convert_to(i::text, 'UTF8')), 'hex') as h
      from (select ${imageSql(t)} as i from ${tbl} x) s
    ), logged as (
      select distinct on (subject) subject as k, action, row_hash as h, seq from audit_log where tbl = ${t.table} order by subject, seq desc
    )
    select coalesce(cur.k, logged.k) as k, cur.k is not null as here, logged.action, logged.seq
    from cur full join logged on cur.k = logged.k
    where logged.k is null or (cur.k is null and logged.action <> 'delete') or (cur.k is not null and (logged.action = 'delete' or cur.h <> logged.h))
    order by 1 limit ${DETAIL_LIMIT * 3}`);
  if (!odd.length) return Number(count?.n ?? 0);
  const keys = odd.map((o) => o.k);
  const current = new Map((await rowsOf<{ k: string; i: Row }>(db, sql`
    select k, i from (select audit_key(i, ${keySql(t)}) as k, i from (select ${imageSql(t)} as i from ${tbl} x) s) y
    where k in (${sql.join(keys.map((k) => sql`${k}`), sql`, `)})`)).map((r) => [r.k, r.i]));
  const logged = new Map((await rowsOf<{ subject: string; body: Row }>(db, sql`
    select distinct on (subject) subject, body from audit_log where tbl = ${t.table} and subject in (${sql.join(keys.map((k) => sql`${k}`), sql`, `)}) order by subject, seq desc`)).map((r) => [r.subject, r.body]));
  const name = t.zh;
  for (const o of odd) {
    const cur = current.get(o.k);
    const log = logged.get(o.k);
    if (o.here && (o.action === null || o.action === 'delete')) {
      add({ kind: 'row_inserted', table: t.table, key: o.k, current: cur,
        problem: o.action === 'delete' ? `${name} ${o.k}：审计链记录它已删除（#${o.seq}），表中却又有此行` : `${name} ${o.k}：表中有此行，审计链中没有（在审计之外插入）`,
        problemEn: o.action === 'delete' ? `${t.en} ${o.k}: deleted in the chain (#${o.seq}) but present in the table` : `${t.en} ${o.k}: in the table but not in the audit chain (inserted outside the audit)` });
      continue;
    }
    if (!o.here) {
      add({ kind: 'row_deleted', table: t.table, key: o.k, seq: Number(o.seq), logged: log,
        problem: `${name} ${o.k}：审计链中有此行（#${o.seq}），表中已没有（在审计之外删除）`,
        problemEn: `${t.en} ${o.k}: in the audit chain (#${o.seq}) but gone from the table (deleted outside the audit)` });
      continue;
    }
    // Columns on both sides that differ; a column on one side only is a schema change (README).
    for (const col of Object.keys(cur ?? {}).sort()) {
      if (!log || !(col in log) || canonical(log[col]) === canonical(cur![col])) continue;
      add({ kind: 'row_edited', table: t.table, key: o.k, column: col, seq: Number(o.seq), logged: log[col], current: cur![col],
        problem: `${name} ${o.k}：列 ${col} 与审计记录 #${o.seq} 不符（记录为 ${show(log[col])}，现为 ${show(cur![col])}）`,
        problemEn: `${t.en} ${o.k}: column ${col} differs from audit record #${o.seq} (recorded ${show(log[col])}, now ${show(cur![col])})` });
    }
  }
  return Number(count?.n ?? 0);
}

/** Recorded changes of what HQ never changes: a payment's amount, a sealed shift, a deleted sale. */
async function checkChanges(db: Db, t: AuditedTable, add: (f: AuditFinding) => void) {
  const mutable = sql.raw(`'${arr(t.mutable === 'all' ? [] : t.mutable)}'::text[]`);
  const anyChange = t.mutable === 'all' ? sql`false` : sql`exists (select 1 from jsonb_each(body) e where prev ? e.key and e.value is distinct from prev -> e.key and not (e.key = any (${mutable})))`;
  const sealed = t.sealedBy ? sql`(prev ->> ${t.sealedBy}) is not null` : sql`false`;
  const deletes = t.deletable ? sql`false` : sql`action = 'delete'`;
  const bad = await rowsOf<{ seq: string; subject: string; action: string; actor: string; cols: string[] | null; body: Row; prev: Row | null }>(db, sql`
    select seq, subject, action, actor, body, prev,
      (select array_agg(e.key order by e.key) from jsonb_each(body) e where prev ? e.key and e.value is distinct from prev -> e.key) as cols
    from (
      select seq, subject, action, actor, body, lag(body) over (partition by subject order by seq) as prev
      from audit_log where tbl = ${t.table}
    ) s
    where (prev is null and action in ('update', 'delete')) or ${deletes} or (action = 'update' and (${anyChange} or ${sealed}))
    order by seq limit ${DETAIL_LIMIT}`);
  for (const b of bad) {
    const seq = Number(b.seq);
    if (b.prev === null) {
      add({ kind: 'row_inserted', table: t.table, key: b.subject, seq,
        problem: `${t.zh} ${b.subject}：审计链中它的第一条记录是${b.action === 'update' ? '修改' : '删除'}（#${seq}），此行是在审计之外插入的`,
        problemEn: `${t.en} ${b.subject}: its first audit record is an ${b.action} (#${seq}); the row was inserted outside the audit` });
      continue;
    }
    if (b.action === 'delete') {
      add({ kind: 'forbidden_delete', table: t.table, key: b.subject, seq, logged: b.body,
        problem: `${t.zh} ${b.subject}：被删除（审计记录 #${seq}，${b.actor}），而这类记录只能新增`,
        problemEn: `${t.en} ${b.subject}: deleted (audit record #${seq}, ${b.actor}); such rows are only ever added` });
      continue;
    }
    const sealedNow = t.sealedBy && b.prev?.[t.sealedBy] != null;
    for (const col of b.cols ?? []) {
      if (!sealedNow && t.mutable !== 'all' && t.mutable.includes(col)) continue;
      add({ kind: 'forbidden_change', table: t.table, key: b.subject, column: col, seq, logged: b.prev?.[col], current: b.body[col],
        problem: `${t.zh} ${b.subject}：列 ${col} 在${sealedNow ? '封存' : '写入'}后被改动（审计记录 #${seq}，${b.actor}：${show(b.prev?.[col])} → ${show(b.body[col])}）`,
        problemEn: `${t.en} ${b.subject}: column ${col} changed after it was ${sealedNow ? 'sealed' : 'written'} (audit record #${seq}, ${b.actor}: ${show(b.prev?.[col])} -> ${show(b.body[col])})` });
    }
  }
}

/** A sealed shift's report must still hash to the hash that was chained with it. */
async function checkShiftReports(db: Db, add: (f: AuditFinding) => void) {
  const shifts = await rowsOf<{ id: string; report: unknown; report_hash: string | null }>(db, sql`select id, report, report_hash from shifts where closed_at is not null`);
  for (const s of shifts) {
    if (sha256(canonical(s.report)) === s.report_hash) continue;
    add({ kind: 'shift_report', table: 'shifts', key: s.id, column: 'report', problem: `班次 ${s.id}：封存的交班报表与其哈希不符（报表被改动）`, problemEn: `shift ${s.id}: the sealed report does not match its hash (the report was changed)` });
  }
}

/**
 * The chain against its signed heads: the newest one must still be there with the same hash
 * (else the tail was deleted, or everything from an edit on was hashed again); the earliest
 * anchor that no longer matches says from where. Signatures are checked before anything is
 * believed, so a line added to the anchor file proves nothing.
 */
async function checkAnchors(db: Db, src: AnchorSource, headSeq: number, add: (f: AuditFinding) => void): Promise<AuditVerdict['anchor']> {
  const sorted = [...src.list].sort((a, b) => a.seq - b.seq || a.at - b.at);
  let newest: Anchor | undefined;
  for (let i = sorted.length - 1; i >= 0 && !newest; i--) {
    const a = sorted[i]!;
    if (anchorSigned(a, src.keys)) newest = a;
    else add({ kind: 'anchor_invalid', seq: a.seq, problem: `锚点 #${a.seq}（${new Date(a.at).toISOString()}）的签名无效：不予采信`, problemEn: `anchor #${a.seq} (${new Date(a.at).toISOString()}) has no valid signature: ignored` });
  }
  if (!newest) return null;
  const when = (a: Anchor) => new Date(a.at).toISOString();
  if (newest.seq > headSeq) {
    add({ kind: 'tail_deleted', seq: newest.seq,
      problem: `审计链尾部被删除：${when(newest)} 签名的锚点记到 #${newest.seq}，库中只到 #${headSeq}`,
      problemEn: `the chain's tail was deleted: the anchor signed at ${when(newest)} reaches #${newest.seq}, the database only #${headSeq}` });
  }
  // Hashes at every anchored record still there, compared in one pass.
  const within = sorted.filter((a) => a.seq <= headSeq);
  const held = new Map<number, string>();
  for (let i = 0; i < within.length; i += 10_000) {
    const seqs = [...new Set(within.slice(i, i + 10_000).map((a) => a.seq))];
    const r = await rowsOf<{ seq: string; hash: string }>(db, sql`select seq, hash from audit_log where seq in (${sql.join(seqs.map((n) => sql`${n}`), sql`, `)})`);
    for (const x of r) held.set(Number(x.seq), x.hash);
  }
  const differs = within.find((a) => held.has(a.seq) && held.get(a.seq) !== a.hash && anchorSigned(a, src.keys));
  if (differs) {
    add({ kind: 'chain_recomputed', seq: differs.seq,
      problem: `审计链被改写后重算：记录 #${differs.seq} 的哈希与 ${when(differs)} 签名的锚点不符（此前的记录被改动、删除或插入过）`,
      problemEn: `the chain was rewritten and hashed again: record #${differs.seq} does not match the anchor signed at ${when(differs)} (records up to it were changed, removed or added)` });
  }
  return { seq: newest.seq, hash: newest.hash, at: newest.at };
}
