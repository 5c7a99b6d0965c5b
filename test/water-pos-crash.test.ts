import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { testToken } from './support/devices.ts';
import { provision } from './support/provision.ts';

/**
 * SIGKILL of the POS agent (its own process, as in production) while a charge is being made,
 * at varied moments: after a restart on the same SQLite file, each charge is at HQ once or not
 * at all, never twice; every charge the cashier saw confirmed is at HQ; HQ's balance is the
 * first balance less exactly the charges it holds.
 */
const root = new URL('..', import.meta.url).pathname;
const cloud = await startTestCloud();
const site = 'demo';
await provision(cloud.url, site, [{ device: 'pos-k', role: 'pos' }]);
const dir = mkdtempSync(join(tmpdir(), 'tk-pos-crash-'));
const configPath = join(dir, 'pos.json');
writeFileSync(configPath, JSON.stringify({
  device: 'pos-k', site, shop: 'bar', cloudUrl: cloud.url, token: testToken('pos', site, 'pos-k'), dataDir: join(dir, 'data'),
  pullIntervalMs: 200, staleMs: 5000, hqTimeoutMs: 3000, retryMinMs: 100, retryMaxMs: 500, http: { port: 0 },
}));
let child: ChildProcess | undefined;

async function startPos(): Promise<string> {
  let out = '';
  const c = spawn(process.execPath, ['--import', 'tsx', join(root, 'edge/pos/main.ts'), configPath], {
    cwd: root, env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = c;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pos did not start:\n${out}`)), 30_000);
    c.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        c.removeAllListeners('exit');
        resolve(m[1]!);
      }
    });
    c.stderr!.on('data', (d) => (out += d));
    c.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pos exited with ${code}:\n${out}`));
    });
  });
}

async function kill(): Promise<void> {
  const c = child;
  child = undefined;
  if (!c || c.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

test.after(async () => {
  await kill();
  await cloud.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('killed mid-charge: each charge at HQ once or not at all', async () => {
  assert.is((await api(cloud.url, '/api/v1/shops/bar', { method: 'PUT', body: { name: '水吧' } })).status, 200);
  assert.is((await api(cloud.url, '/api/v1/shops/bar/items/tea', { method: 'PUT', body: { name: '冰茶', priceFen: 700 } })).status, 200);
  const w = (await api(cloud.url, '/api/v1/wallets', { body: { bandUid: 'C0FFEE01', depositFen: 3000, topUpFen: 50_000 }, headers: { 'Idempotency-Key': 'crash-band' } })).body;
  const confirmed = new Set<string>();
  let asked = 0;
  for (let round = 0; round < 4; round++) {
    const url = await startPos();
    await waitFor('band known at the till', async () => (await fetch(`${url}/api/bands/C0FFEE01`)).status === 200, 20_000);
    // Two charges, the process killed 0-50 ms into the second (or the first, in even rounds).
    for (let k = 0; k < 2; k++) {
      asked++;
      const req = fetch(`${url}/api/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bandUid: 'C0FFEE01', items: [{ code: 'tea', quantity: 1 }] }) })
        .then(async (r) => (r.status === 201 ? ((await r.json()) as { chargeId: string }).chargeId : undefined), () => undefined);
      if (k === round % 2) {
        await new Promise((r) => setTimeout(r, (round * 11) % 50));
        await kill();
      }
      const id = await req;
      if (id) confirmed.add(id);
      if (!child) break;
    }
    await kill();
  }
  // Back up once more: whatever is queued goes to HQ.
  const url = await startPos();
  await waitFor('outbox drained', async () => (await (await fetch(`${url}/api/state`)).json() as { outbox: number }).outbox === 0, 20_000);
  await kill();

  const local = new Database(join(dir, 'data', 'pos.sqlite'), { readonly: true });
  const rows = local.prepare('select charge_id as id, hq_result as r from charges').all() as { id: string; r: string }[];
  local.close();
  const atHq = (await api(cloud.url, `/api/v1/wallets/${w.id}`)).body;
  const hqIds = atHq.charges.map((c: { chargeId: string }) => c.chargeId);
  assert.is(new Set(hqIds).size, hqIds.length, 'no charge twice at HQ');
  assert.ok(hqIds.length <= asked, `${hqIds.length} at HQ for ${asked} asked`);
  for (const id of confirmed) assert.ok(hqIds.includes(id), `confirmed charge ${id} is at HQ`);
  const recorded = rows.filter((r) => r.r === 'recorded' || r.r === 'duplicate').map((r) => r.id).sort();
  assert.equal(recorded, [...hqIds].sort(), 'the till and HQ hold the same charges');
  assert.is(atHq.balanceFen, 50_000 - 700 * hqIds.length, 'HQ balance = first balance less the charges it holds');
  assert.ok(confirmed.size >= 2, `${confirmed.size} charges confirmed`);
});

test.run();
