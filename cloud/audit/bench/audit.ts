/**
 * How long verify takes over a site's year: N orders (each an order, a sale, two tickets and
 * a payment, written with the triggers on, so each row is imaged into the chain), then
 * verifyAudit, against a floor measured in the same run: reading and hashing every audited
 * row and every chain record once (what any check of them must at least do). Ends with one
 * JSON line. ORDERS=2000 by default; a busy site's year is ~300,000 orders (scale linearly).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDb } from '../../db/open.ts';
import { verifyAudit } from '../verify.ts';

const ORDERS = Number(process.env.ORDERS ?? 2_000);
const BATCH = 500;
const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
const progress = (s: string) => process.stderr.write(`${s}\n`);
const { db, close } = await openDb({ pgliteDir: join(dir, 'pglite') });
try {
  await db.execute(sql`insert into ticket_types (code, name, price_fen, validity_days, entries, persons) values ('adult', '成人票', 12000, 1, 1, 1)`);
  const t0 = performance.now();
  for (let done = 0; done < ORDERS; done += BATCH) {
    const n = Math.min(BATCH, ORDERS - done);
    await db.transaction(async (tx) => {
      await tx.execute(sql`create temp table b on commit drop as select gen_random_uuid() as o, gen_random_uuid() as s, g from generate_series(1, ${n}) g`);
      await tx.execute(sql`insert into orders (id, site, status, visit_day, total_fen, request) select o, 'demo', 'issued', '2026-12-01', 24000, '{}'::jsonb from b`);
      await tx.execute(sql`insert into sales (id, site, type_id, quantity, unit_price_fen, total_fen, order_id) select s, 'demo', 1, 2, 12000, 24000, o from b`);
      await tx.execute(sql`insert into tickets (id, sale_id, site, type_id, key_id, code, valid_from, valid_until, persons, entries, price_fen)
        select gen_random_uuid(), s, 'demo', 1, 'k1', md5(s::text || k) || md5(k || s::text), now(), now() + interval '1 day', 1, 1, 12000 from b, generate_series(1, 2) k`);
      await tx.execute(sql`insert into payments (id, order_id, method, amount_fen, created_at) select gen_random_uuid(), o, 'cash', 24000, now() from b`);
    });
    progress(`seeded ${done + n}/${ORDERS} orders`);
  }
  const seedMs = performance.now() - t0;
  const records = ((await db.execute(sql`select count(*)::int as n from audit_log`)) as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0;

  // Floor: every audited row and every record read and hashed once, in the database.
  const f0 = performance.now();
  for (const t of ['orders', 'sales', 'tickets', 'payments']) {
    await db.execute(sql`select count(distinct encode(sha256(convert_to(to_jsonb(x)::text, 'UTF8')), 'hex')) from ${sql.identifier(t)} x`);
  }
  await db.execute(sql`select count(distinct encode(sha256(convert_to(body::text, 'UTF8')), 'hex')) from audit_log`);
  const floorMs = performance.now() - f0;
  progress('verifying');
  const v0 = performance.now();
  const v = await verifyAudit(db);
  const verifyMs = performance.now() - v0;
  if (!v.ok) throw new Error(`verify found problems: ${JSON.stringify(v.problems.slice(0, 3))}`);
  const perYear = 300_000 / ORDERS;
  process.stdout.write(`${JSON.stringify({
    bench: 'audit', orders: ORDERS, rows: v.rows, records, seedMs: Math.round(seedMs), seedPerOrderMs: +(seedMs / ORDERS).toFixed(3),
    verifyMs: Math.round(verifyMs), floorMs: Math.round(floorMs), verifyOverFloor: +(verifyMs / floorMs).toFixed(2),
    yearEstimateS: Math.round((verifyMs * perYear) / 1000),
  })}\n`);
} finally {
  await close();
  rmSync(dir, { recursive: true, force: true });
}
