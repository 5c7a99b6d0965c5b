import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../shared/log/logger.ts';
import { waitFor } from '../../test/support/cloud.ts';
import { Lease } from './lease.ts';

test('without a shared database (PGlite) the one process holds the lease', async () => {
  let taken = 0;
  const lease = new Lease({ key: 1, name: 'solo', log: silentLogger, onAcquire: () => { taken++; } });
  await lease.start();
  assert.ok(lease.held);
  assert.is(taken, 1);
  await lease.stop();
  assert.not.ok(lease.held);
});

const url = process.env.TEST_DATABASE_URL;
if (!url) {
  console.log('skipped: set TEST_DATABASE_URL to run the lease on a server');
  test.skip('one holder at a time; the lease moves when its holder\'s session dies', () => undefined);
} else {
  test('one holder at a time; the lease moves when its holder\'s session dies', async () => {
    const key = 7_000_000 + (process.pid % 100_000);
    const pools = [new pg.Pool({ connectionString: url, max: 2 }), new pg.Pool({ connectionString: url, max: 2 })];
    for (const p of pools) p.on('error', () => undefined);
    const taken: string[] = [];
    const lost: string[] = [];
    const [a, b] = ['a', 'b'].map((name, i) => new Lease({
      pool: pools[i], key, name, log: silentLogger, retryMs: 100, checkMs: 100,
      onAcquire: () => { taken.push(name); }, onLose: () => { lost.push(name); },
    })) as [Lease, Lease];
    try {
      await a.start();
      await b.start();
      assert.ok(a.held);
      assert.not.ok(b.held);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(taken, ['a'], 'b keeps trying, and waits');

      // a's session ends (its process died, or its server failed over): Postgres lets go.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = $1 and granted`, [key]);
      await admin.end();
      await waitFor('b takes the lease', () => b.held, 5000);
      await waitFor('a knows it lost it', () => lost.includes('a'), 5000);
      assert.not.ok(a.held);
      assert.equal(taken, ['a', 'b']);

      // b stops cleanly (unlocks): a, still trying, takes the lease again.
      await b.stop();
      await waitFor('a takes it again', () => a.held, 5000);
    } finally {
      await a.stop();
      await b.stop();
      for (const p of pools) await p.end();
    }
  });
}

test.run();
