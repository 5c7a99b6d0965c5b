import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDurablePglite, pgliteSyncs } from './pglite-durable.ts';

/**
 * HQ's embedded Postgres with its commits on disk before they are answered. A power cut cannot
 * be made here; what can be seen is that Postgres runs with fsync on and that its syncs reach
 * the disk: each commit that wrote syncs its WAL file, a read syncs nothing, a checkpoint syncs
 * the data files; and a process killed right after a commit reopens with the row (recovery
 * under these settings).
 */
const dir = mkdtempSync(join(tmpdir(), 'tk-pglite-durable-'));
const data = join(dir, 'pglite'); // made by the first test (a new data directory takes seconds), reopened by the second
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('Postgres runs with fsync on; a commit syncs its WAL before it is answered, a read syncs nothing, a checkpoint syncs the data files', async () => {
  const db = await openDurablePglite(data);
  try {
    const setting = async (name: string) => ((await db.query<Record<string, string>>(`show ${name}`)).rows[0]![name]);
    assert.equal([await setting('fsync'), await setting('wal_sync_method'), await setting('synchronous_commit')], ['on', 'fsync', 'on']);
    await db.query('create table sale (id int primary key, fen int not null)');
    for (let i = 1; i <= 5; i++) {
      const before = pgliteSyncs.files;
      await db.query('insert into sale values ($1, $2)', [i, 100 * i]);
      assert.ok(pgliteSyncs.files > before, `commit ${i} synced nothing`);
    }
    const before = pgliteSyncs.files;
    for (let i = 0; i < 5; i++) await db.query('select sum(fen) from sale');
    assert.is(pgliteSyncs.files, before, 'a read synced');
    await db.query('checkpoint');
    assert.ok(pgliteSyncs.files - before >= 2, `a checkpoint synced ${pgliteSyncs.files - before} files`);
  } finally {
    await db.close();
  }
});

test('killed right after a commit: reopened, the committed row is there and the database takes writes', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { openDurablePglite } = await import(${JSON.stringify(fileURLToPath(new URL('./pglite-durable.ts', import.meta.url)))});
    const db = await openDurablePglite(${JSON.stringify(data)});
    await db.query('insert into sale values (6, 600)');
    process.stdout.write('committed\\n');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('committed')) resolve(); });
    child.once('exit', (code) => reject(new Error(`exited ${code} before committing`)));
  });
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
  const db = await openDurablePglite(data);
  try {
    assert.equal((await db.query<{ id: number }>('select id from sale order by id')).rows.map((r) => r.id), [1, 2, 3, 4, 5, 6]);
    await db.query('insert into sale values (7, 700)');
    assert.is((await db.query<{ n: number }>('select count(*)::int as n from sale')).rows[0]!.n, 7);
  } finally {
    await db.close();
  }
});

test.run();
