import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bookingChannel } from './support/channel.ts';
import { LinkSim } from './tools/link-sim.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { testToken } from './support/devices.ts';
import { provision } from './support/provision.ts';

// The kiosk program in its own process, killed with SIGKILL right after offline pickups:
// they are in its SQLite outbox and reach HQ after the restart.
const root = new URL('..', import.meta.url).pathname;
const cloud = await startTestCloud();
await provision(cloud.url, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
const channel = await bookingChannel(cloud.url);
const link = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort } });
await link.start();
const dir = mkdtempSync(join(tmpdir(), 'tk-kiosk-proc-'));
const configPath = join(dir, 'kiosk.json');
writeFileSync(configPath, JSON.stringify({
  device: 'kiosk-1', site: 'demo', dataDir: join(dir, 'data'), cloudUrl: `http://127.0.0.1:${link.port}`, token: testToken('kiosk', 'demo', 'kiosk-1'),
  pullIntervalMs: 300, hqTimeoutMs: 800, retryMinMs: 100, retryMaxMs: 1000, printer: { driver: 'sim' }, http: { port: 0 },
}));
let child: ChildProcess | undefined;

async function startKiosk(): Promise<string> {
  let output = '';
  const c = spawn(process.execPath, ['--import', 'tsx', join(root, 'edge/kiosk/main.ts'), configPath], {
    cwd: root, env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = c;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kiosk did not start:\n${output}`)), 30_000);
    c.stdout!.on('data', (d: Buffer) => {
      output += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    c.stderr!.on('data', (d: Buffer) => (output += d));
    c.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kiosk exited with ${code}:\n${output}`));
    });
  });
}

async function kill(): Promise<void> {
  const c = child;
  child = undefined;
  if (!c || c.exitCode !== null) return;
  c.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

const call = async (url: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

test.after(async () => {
  await kill();
  await link.stop();
  await cloud.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL after offline pickups: the outbox survives, HQ gets each pickup once', async () => {
  const booked = [];
  for (let i = 0; i < 3; i++) booked.push(await channel.book({ name: `游客${i}`, phone: `1390000100${i}` }, [{ type: 'adult', quantity: 1 }]));
  let url = await startKiosk();
  await waitFor('bookings cached', async () => (await call(url, 'GET', '/api/state')).body.bookings >= 3, 30_000);

  link.blackhole(true);
  for (const [i, b] of booked.entries()) {
    const found = await call(url, 'POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: `1390000100${i}` });
    assert.is(found.body.source, 'cache', JSON.stringify(found.body));
    const done = await call(url, 'POST', '/api/pickup/confirm', { token: found.body.bookings[0].token });
    assert.is(done.status, 200, JSON.stringify(done.body));
  }
  assert.is((await call(url, 'GET', '/api/state')).body.outbox, 3);
  await kill();

  url = await startKiosk();
  const state = (await call(url, 'GET', '/api/state')).body;
  assert.is(state.outbox, 3, 'the pickups outlived the kill');
  const again = await call(url, 'POST', '/api/pickup/find', { by: 'order', order: booked[0]!.orderNo, phone: '13900001000' });
  assert.is(again.body.error.code, 'already_picked_up', 'and the kiosk still knows it handed them out');

  link.blackhole(false);
  await waitFor('outbox drained', async () => (await call(url, 'GET', '/api/state')).body.outbox === 0, 30_000);
  for (const [i, b] of booked.entries()) {
    const r = await api(cloud.url, `/api/v1/pickups/lookup?order=${b.orderNo}&phone=1390000100${i}`);
    assert.is(r.body[0].state, 'picked_up');
  }
  const flagged = await api(cloud.url, '/api/v1/channels/admin/pickups/flagged');
  assert.equal(flagged.body, [], 'no pickup recorded twice');
  const rows = (await cloud.ctx!.db.execute(`select count(*)::int as n from booking_pickups where device = 'kiosk-1'`)) as unknown as { rows?: { n: number }[] } & { n: number }[];
  assert.is((rows.rows ?? rows)[0]!.n, 3);
});

test.run();
