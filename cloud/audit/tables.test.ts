import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../db/schema/index.ts';
import { AUDITED_TABLES, NOT_AUDITED } from './tables.ts';

const tables = (Object.values(schema) as unknown[]).filter((v): v is PgTable => is(v, PgTable)).map((t) => getTableConfig(t));
const byName = new Map(tables.map((t) => [t.name, t]));

test('every table with a money column is on the audit list, or knowingly not', () => {
  const money = tables.filter((t) => t.columns.some((c) => /_fen$|^amount$/.test(c.name))).map((t) => t.name);
  const listed = new Set([...AUDITED_TABLES.map((t) => t.table), ...Object.keys(NOT_AUDITED)]);
  assert.equal(money.filter((n) => !listed.has(n)), [], 'add them to cloud/audit/tables.ts (and a migration calling audit_track)');
});

test('every listed table exists with the listed key, imaged and redacted columns', () => {
  for (const t of AUDITED_TABLES) {
    const cfg = byName.get(t.table);
    assert.ok(cfg, `${t.table} is not in the schema`);
    const cols = new Set(cfg.columns.map((c) => c.name));
    for (const c of [...t.key, ...(t.only ?? []), ...(t.redact ?? []), ...(t.mutable === 'all' ? [] : t.mutable), ...(t.sealedBy ? [t.sealedBy] : [])]) {
      assert.ok(cols.has(c), `${t.table}.${c} is not a column`);
    }
    const pk = cfg.primaryKeys[0]?.columns.map((c) => c.name) ?? cfg.columns.filter((c) => c.primary).map((c) => c.name);
    assert.equal([...t.key].sort(), [...pk].sort(), `${t.table}: the key is its primary key`);
  }
  assert.is(new Set(AUDITED_TABLES.map((t) => t.table)).size, AUDITED_TABLES.length, 'each table once');
});

test.run();
