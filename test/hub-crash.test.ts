import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestCloud, waitFor } from './support/cloud.ts';
import { testSiteKey } from './support/devices.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';
import { LinkSim } from './tools/link-sim.ts';

const root = new URL('..', import.meta.url).pathname;

/** `npm run hub` in its own process, killed without warning when the test says so. */
class HubProcess {
  child: ChildProcess | undefined;
  url = '';
  output = '';
  constructor(readonly configPath: string) {}

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'edge/hub/main.ts'), this.configPath], {
      cwd: root, env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start:\n${this.output}`)), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        this.output += d;
        const m = /READY mqtt=\d+ http=(\d+)/.exec(this.output);
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}`);
        }
      });
      child.stderr!.on('data', (d) => (this.output += d));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hub exited with ${code}:\n${this.output}`));
      });
    });
    child.removeAllListeners('exit');
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async api(path: string, init: { body?: unknown; token?: string; key?: string } = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.key ? { 'idempotency-key': init.key } : {}) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: await res.json() };
  }

  async health(): Promise<any> {
    return (await fetch(`${this.url}/api/v1/health`)).json();
  }
}

test('SIGKILL of the hub mid-sale and mid-upload: nothing lost, nothing doubled', async () => {
  const cloud = await startTestCloud();
  const dir = mkdtempSync(join(tmpdir(), 'tk-hubcrash-'));
  // A long line: HQ records an upload ~400 ms before the hub hears so, and the hub is killed in between.
  const wan = [
    new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort }, latencyMs: 400 }),
    new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 400 }),
  ] as const;
  const hub = new HubProcess(join(dir, 'hub.json'));
  const atHq = async () => {
    const r = await cloud.ctx!.db.execute(sql`select (select count(*)::int from orders where site = 'demo') orders,
      (select coalesce(sum(p.amount_fen), 0)::text from payments p join orders o on o.id = p.order_id where o.site = 'demo') net,
      (select count(*)::int from hub_uploads where hub = 'hub-1') entries,
      (select count(*)::int from tickets where site = 'demo') tickets`) as unknown as { rows: { orders: number; net: string; entries: number; tickets: number }[] };
    return { ...r.rows[0]!, net: Number(r.rows[0]!.net) };
  };
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    await seedOffice(cloud.url);
    for (const l of wan) await l.start();
    writeFileSync(hub.configPath, JSON.stringify({
      hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir: join(dir, 'data'), mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
      upstream: { mqttUrl: `mqtt://127.0.0.1:${wan[0].port}`, cloudUrl: `http://127.0.0.1:${wan[1].port}` }, window: { syncIntervalMs: 200 },
    }));
    await hub.start();
    await waitFor('the hub has its kit and key', async () => (await hub.health()).window?.delegation, 20_000);
    for (const l of wan) l.cut();
    const token = must(await hub.api('/auth/login', { body: { username: 'seller1', password: 'seller1-password' } }), 200).token;
    must(await hub.api('/shifts', { token, body: { floatFen: 10000 } }), 201);

    // Mid-sale: 20 windows' sales in flight when the hub dies; each window retries with its key.
    const sale = (i: number) => ({ lines: [{ type: i % 2 ? 'adult' : 'child', quantity: 1 + (i % 3) }], payments: [cash((i % 2 ? 12000 : 6000) * (1 + (i % 3)))] });
    const inFlight = Array.from({ length: 20 }, (_, i) => hub.api('/orders', { token, key: `sale-${i}`, body: sale(i) }).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 40));
    await hub.kill();
    const answered = (await Promise.all(inFlight)).filter((r) => r?.status === 201).length;
    await hub.start();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(must(await hub.api('/orders', { token, key: `sale-${i}`, body: sale(i) }), 201).id);
    assert.is(ids.size, 20, `20 sales, once each (${answered} answered before the kill)`);
    const expectedFen = Array.from({ length: 20 }, (_, i) => (i % 2 ? 12000 : 6000) * (1 + (i % 3))).reduce((a, b) => a + b, 0);
    const health = await hub.health();
    assert.is(health.window.journal.entries, 20, 'one journal entry per sale');
    assert.is(health.window.journal.pending, 20);

    // Mid-upload: the line comes back; HQ records the first batch and the hub dies before it hears so.
    for (const l of wan) l.restore();
    // Usually 2-4 s; on a loaded machine a call the hub had in flight when the line came back can
    // hold the next pass until it times out (10 s + its body at 64 kbit/s, edge/hub/window/uplink.ts).
    await waitFor('HQ recorded an upload', async () => (await atHq()).entries > 0, 45_000, 10);
    await hub.kill();
    const partial = await atHq();
    assert.ok(partial.entries > 0 && partial.entries <= 20);
    await hub.start();
    await waitFor('the hub\'s journal is all at HQ', async () => (await hub.health()).window?.journal.pending === 0, 60_000);
    const books = await atHq();
    assert.is(books.entries, 20);
    assert.is(books.orders, 20, 'each sale once at HQ');
    assert.is(books.net, expectedFen, 'to the fen');
    assert.is(books.tickets, Array.from({ length: 20 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0));
  } finally {
    await hub.kill();
    for (const l of wan) await l.stop();
    await cloud.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
