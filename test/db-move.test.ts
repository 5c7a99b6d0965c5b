/**
 * `npm run migrate:pg`: a site that outgrew PGlite moves to a Postgres server. A seeded month
 * (MOVE_SALES 3,000 sales and MOVE_ENTRIES 9,000 entries by default; bench:move runs the
 * 100,000 / 300,000 month) is moved by the command itself; every report reads the same
 * before and after, the audit chain verifies on the server, and HQ starts on it.
 * Needs TEST_DATABASE_URL (a server; .ci/run starts one).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDb } from '../cloud/db/open.ts';
import { verifyAudit } from '../cloud/office/audit.ts';
import { api, freshPostgres, login, startTestCloud } from './support/cloud.ts';
import { freshCloudDataDir } from './support/pglite.ts';
import { readReports, seedAuditedMonth } from './support/month.ts';

const SALES = Number(process.env.MOVE_SALES ?? 3000);
const ENTRIES = Number(process.env.MOVE_ENTRIES ?? 9000);
const root = new URL('..', import.meta.url).pathname;

if (!process.env.TEST_DATABASE_URL) {
  console.log('skipped: set TEST_DATABASE_URL (bash test/support/postgres.sh start) to move onto a server');
  test.skip('a month moves from PGlite to a server: reports equal, audit chain intact', () => undefined);
} else {
  test('a month moves from PGlite to a server: reports equal, audit chain intact', async () => {
    const dataDir = await freshCloudDataDir();
    const server = (await freshPostgres())!;
    try {
      const source = await openDb({ pgliteDir: `${dataDir}/pglite` });
      await seedAuditedMonth(source.db, SALES, ENTRIES);
      const before = await readReports(source.db, dataDir);
      assert.ok((await verifyAudit(source.db)).ok);
      await source.close();

      const run = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/db/move-main.ts', '--data-dir', dataDir, server.url], { cwd: root, encoding: 'utf8' });
      assert.is(run.status, 0, run.stderr);
      assert.match(run.stderr, /moving \w+ [\d,]+\/[\d,]+ · [\d,]+\/[\d,]+ rows \(\d+%\)/, 'a progress line');
      assert.match(run.stderr, /audit chain intact/);
      const figures = JSON.parse(run.stdout.trim().split('\n').pop()!);
      console.log(JSON.stringify({ sales: SALES, entries: ENTRIES, ...figures }));

      const target = await openDb({ databaseUrl: server.url, pgliteDir: '' });
      try {
        const after = await readReports(target.db, dataDir);
        for (const name of Object.keys(before)) assert.equal(after[name], before[name], `report ${name}`);
        const audit = await verifyAudit(target.db);
        assert.ok(audit.ok);
        assert.ok(audit.records > 0);
      } finally {
        await target.close();
      }

      // A second move onto the same database is refused: it is not empty any more.
      const again = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/db/move-main.ts', '--data-dir', dataDir, server.url], { cwd: root, encoding: 'utf8' });
      assert.is(again.status, 1);
      assert.match(again.stderr, /not empty/);

      // HQ runs on the server with the same data dir (its keys) and sells on.
      const cloud = await startTestCloud({ databaseUrl: server.url, dataDir });
      try {
        const token = await login(cloud.url, 'admin', 'month-password');
        const types = (await api(cloud.url, '/api/v1/ticket-types', { token })).body.items as { code: string }[];
        const r = await api(cloud.url, '/api/v1/sales', { token, body: { type: types[0]!.code, quantity: 1 }, headers: { 'idempotency-key': 'after-move' } });
        assert.is(r.status, 201, JSON.stringify(r.body));
      } finally {
        await cloud.cleanup();
      }
    } finally {
      await server.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test.run();
