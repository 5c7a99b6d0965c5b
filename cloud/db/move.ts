import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { verifyAudit, type AuditVerdict } from '../office/audit.ts';
import { openDb, type OpenDb } from './open.ts';

export interface MoveProgress { table: string; tableRows: number; tableTotal: number; rows: number; total: number }
export interface MoveReport {
  tables: { name: string; rows: number }[];
  rows: number;
  sequences: number;
  copyMs: number;
  verifyMs: number;
  audit: { source: AuditVerdict; target: AuditVerdict };
}

/** Pages of a table copied at a time (8 kB each): a progress step, and a bounded blob in PGlite's memory. */
const CHUNK_PAGES = 2000;

type Query = <T>(text: string) => Promise<T[]>;

/**
 * Moves a site's HQ database from PGlite (a data dir) into an empty Postgres database:
 * the schema by the same migrations HQ runs, then every table by COPY in foreign-key order
 * in one transaction (a failure leaves the target as empty as it was), sequences set to
 * where they were, then checked: each table's row count and a hash of its rows equal on both
 * sides, and the audit chain verifies on the target as it did on the source (same records,
 * same head). The source is only read.
 */
export async function moveToServer(opts: { pgliteDir: string; databaseUrl: string; log?: Logger; onProgress?: (p: MoveProgress) => void }): Promise<MoveReport> {
  const log = opts.log ?? silentLogger;
  let source: OpenDb | undefined;
  let target: OpenDb | undefined;
  let client: pg.PoolClient | undefined;
  try {
    source = await openDb({ pgliteDir: opts.pgliteDir, log });
    target = await openDb({ databaseUrl: opts.databaseUrl, pgliteDir: '', log });
    const lite = (source.db as unknown as { $client: PGlite }).$client;
    const q: Query = async <T>(text: string) => (await lite.query<T>(text)).rows;
    await lite.exec(`set time zone 'UTC'`);

    // One connection of HQ's own pool: on a formation, the read-write host.
    client = await (target.db as unknown as { $client: pg.Pool }).$client.connect();
    await client.query(`set time zone 'UTC'`);
    const t = client;
    const tq: Query = async <T>(text: string) => (await t.query(text)).rows as T[];

    const tables = orderByForeignKeys(
      (await q<{ name: string }>(`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' order by 1`)).map((r) => r.name),
      await q<{ child: string; parent: string }>(`select conrelid::regclass::text as child, confrelid::regclass::text as parent from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace`),
    );
    const counts = new Map<string, number>();
    for (const name of tables) {
      const [target] = await tq<{ n: string }>(`select count(*) as n from ${ident(name)}`);
      if (Number(target!.n) > 0) throw new Error(`the target database is not empty: ${name} has ${target!.n} rows`);
      counts.set(name, Number((await q<{ n: number }>(`select count(*)::int as n from ${ident(name)}`))[0]!.n));
    }
    const [src, dst] = [await migrations(q), await migrations(tq)];
    if (src !== dst) throw new Error(`the target's schema is not the source's (${dst} migrations against ${src})`);

    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    let moved = 0;
    const t0 = performance.now();
    await client.query('begin');
    // The rows are copied as they are, audit chain included: the audit triggers (cloud/audit)
    // must not record the copy as new changes. Off for this transaction only.
    for (const name of tables) await client.query(`alter table ${ident(name)} disable trigger user`);
    for (const name of tables) {
      const columns = (await q<{ name: string }>(`select attname as name from pg_attribute where attrelid = '${ident(name)}'::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`)).map((r) => ident(r.name)).join(', ');
      const [{ pages }] = (await q<{ pages: number }>(`select (pg_relation_size('${ident(name)}') / current_setting('block_size')::int)::int as pages`)) as [{ pages: number }];
      let done = 0;
      for (let from = 0; from < Math.max(pages, 1); from += CHUNK_PAGES) {
        const range = pages ? `where ctid >= '(${from},0)'::tid and ctid < '(${from + CHUNK_PAGES},0)'::tid` : '';
        const out = await lite.query(`copy (select ${columns} from ${ident(name)} ${range}) to '/dev/blob'`);
        const blob = out.blob;
        const n = (out as { affectedRows?: number }).affectedRows ?? 0;
        if (blob && blob.size) await pipeline(Readable.from([Buffer.from(await blob.arrayBuffer())]), client.query(copyFrom(`copy ${ident(name)} (${columns}) from stdin`)));
        done += n;
        moved += n;
        opts.onProgress?.({ table: name, tableRows: done, tableTotal: counts.get(name)!, rows: moved, total });
      }
      if (done !== counts.get(name)) throw new Error(`${name}: copied ${done} rows of ${counts.get(name)}`);
    }
    const sequences = await q<{ name: string; value: string }>(`select sequencename as name, last_value::text as value from pg_sequences where schemaname = 'public' and last_value is not null`);
    for (const s of sequences) await client.query(`select setval('public.${ident(s.name)}', ${BigInt(s.value)}, true)`);
    for (const name of tables) await client.query(`alter table ${ident(name)} enable trigger user`);
    await client.query('commit');
    const copyMs = performance.now() - t0;

    const t1 = performance.now();
    for (const name of tables) {
      const hash = `select count(*)::text as n, coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text as h from ${ident(name)} t`;
      const [a] = await q<{ n: string; h: string }>(hash);
      const [b] = await tq<{ n: string; h: string }>(hash);
      if (a!.n !== b!.n || a!.h !== b!.h) throw new Error(`${name}: the target's rows differ from the source's (${b!.n} rows against ${a!.n})`);
    }
    const audit = { source: await verifyAudit(source.db), target: await verifyAudit(target.db) };
    if (audit.target.records !== audit.source.records || audit.target.head !== audit.source.head || audit.target.ok !== audit.source.ok
      || audit.target.problems.length !== audit.source.problems.length) {
      throw new Error(`audit chain: ${audit.target.records} records on the target (head ${audit.target.head.slice(0, 12)}, ok ${audit.target.ok}) against ${audit.source.records} (head ${audit.source.head.slice(0, 12)}, ok ${audit.source.ok})`);
    }
    log.info({ tables: tables.length, rows: total }, 'moved');
    return { tables: tables.map((name) => ({ name, rows: counts.get(name)! })), rows: total, sequences: sequences.length, copyMs, verifyMs: performance.now() - t1, audit };
  } catch (err) {
    await client?.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client?.release();
    await target?.close();
    await source?.close();
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function migrations(q: Query): Promise<number> {
  return Number((await q<{ n: number }>(`select count(*)::int as n from drizzle.__drizzle_migrations`))[0]!.n);
}

/** Parents before children (a self-reference does not count); names stay sorted otherwise, so the order is stable. */
export function orderByForeignKeys(tables: string[], refs: { child: string; parent: string }[]): string[] {
  const bare = (s: string) => s.replace(/^public\./, '').replace(/^"|"$/g, '');
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const r of refs) if (bare(r.child) !== bare(r.parent)) parents.get(bare(r.child))?.add(bare(r.parent));
  const out: string[] = [];
  const placed = new Set<string>();
  while (out.length < tables.length) {
    const next = tables.find((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p) || !parents.has(p)));
    if (!next) throw new Error(`foreign keys form a cycle among ${tables.filter((t) => !placed.has(t)).join(', ')}`);
    out.push(next);
    placed.add(next);
  }
  return out;
}
