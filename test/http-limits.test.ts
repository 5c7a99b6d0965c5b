/**
 * Request body limits per route at HQ and the site hub, and the login rate limit with its
 * lockout, over real HTTP: oversized bodies get 413 before they are read (memory measured),
 * brute force gets 429, and an administrator lifts a lockout (endpoint and CLI).
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD, testLog } from './support/cloud.ts';

const MB = 1024 * 1024;
const ACCOUNT_MAX = 3;
const ADDRESS_MAX = 12;
let cloud: Awaited<ReturnType<typeof startTestCloud>>;
test.before(async () => {
  cloud = await startTestCloud({ loginMaxFailures: ACCOUNT_MAX, loginAddressMaxFailures: ADDRESS_MAX, loginLockoutMinutes: 60 });
  await api(cloud.url, '/api/v1/health'); // the admin token, before any lockout
  await api(cloud.url, '/api/v1/users', { body: { username: 'seller1', displayName: '售票员', roles: ['seller'], password: 'seller1-password' } });
});
test.after(async () => {
  await cloud?.cleanup();
});

/**
 * Sends `total` bytes of body to `path` (with a Content-Length, or chunked), 64 KB at a time,
 * and stops when the server answers or closes. Resolves with the status and how much went out.
 */
function send(base: string, path: string, total: number, opts: { chunked?: boolean; type?: string } = {}): Promise<{ status: number; body: any; sent: number }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': opts.type ?? 'application/json', ...(opts.chunked ? {} : { 'content-length': String(total) }) },
    }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined, sent });
      });
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (sent < total && !answered && !req.destroyed) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (sent >= total) req.end();
    };
    pump();
  });
}

test('login: a body over 4 KiB gets 413 payload_too_large; an ordinary one still logs in', async () => {
  const big = await api(cloud.url, '/api/v1/auth/login', { token: null, body: { username: 'admin', password: 'x'.repeat(5000) } });
  assert.is(big.status, 413);
  assert.is(big.body.error.code, 'payload_too_large');
  assert.is(big.body.error.details.maxSize, 4096);
  assert.is((await api(cloud.url, '/api/v1/auth/login', { token: null, body: { username: 'admin', password: TEST_ADMIN_PASSWORD } })).status, 200);
});

test('four 100 MB login bodies at once are refused at their headers; HQ\'s memory stays bounded', async () => {
  const before = process.memoryUsage().rss / MB;
  const answers = await Promise.all(Array.from({ length: 4 }, () => send(cloud.url, '/api/v1/auth/login', 100 * MB)));
  for (const a of answers) {
    assert.is(a.status, 413);
    assert.ok(a.sent < 20 * MB, `stopped after ${(a.sent / MB).toFixed(1)} MB`);
  }
  const growth = process.memoryUsage().rss / MB - before;
  process.stdout.write(`\n  4 x 100 MB logins: ${(answers.reduce((a, b) => a + b.sent, 0) / MB).toFixed(1)} MB sent before the 413s, RSS ${before.toFixed(0)} -> ${(before + growth).toFixed(0)} MB\n`);
  assert.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MB`);
});

test('JSON routes: a chunked body is cut off once over 256 KiB; the face route takes a photo of some MB', async () => {
  const chunked = await send(cloud.url, '/api/v1/ticket-types', 16 * MB, { chunked: true });
  assert.is(chunked.status, 413);
  assert.ok(chunked.sent < 8 * MB, `stopped after ${(chunked.sent / MB).toFixed(1)} MB`);
  const orders = await api(cloud.url, '/api/v1/orders', { body: { lines: [{ type: 'x', quantity: 1, barcodes: Array.from({ length: 40_000 }, (_, i) => `BARCODE${i}`) }] } });
  assert.is(orders.status, 413);
  // 3 MB to a ticket's face: past the body limit (the ticket does not exist, so 404 after it).
  const token = (await api(cloud.url, '/api/v1/auth/login', { token: null, body: { username: 'admin', password: TEST_ADMIN_PASSWORD } })).body.token;
  const res = await fetch(`${cloud.url}/api/v1/tickets/${randomUUID()}/face`, {
    method: 'POST', headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${token}` }, body: Buffer.alloc(3 * MB, 0xff),
  });
  assert.is.not(res.status, 413);
  assert.ok(res.status < 500, `face: ${res.status}`);
  const over = await send(cloud.url, `/api/v1/tickets/${randomUUID()}/face`, 13 * MB, { type: 'image/jpeg' });
  assert.is(over.status, 413, 'a face photo over 12 MiB');
});

test('site hub: a body over its limit gets 413', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hub-limit-'));
  const hub = new SiteHub(parseHubConfig({
    hub: 'hub-1', site: 'demo', dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0, httpBodyLimit: 1024,
    upstream: { mqttUrl: cloud.mqttUrl, cloudUrl: cloud.url }, pullIntervalMs: 60_000,
  }), testLog.child('hub'));
  await hub.start();
  try {
    const r = await send(hub.url, '/api/v1/sync/changes?site=demo', 10 * MB);
    assert.is(r.status, 413);
    assert.is(r.body.error.code, 'payload_too_large');
  } finally {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const loginAs = (username: string, password: string) => api(cloud.url, '/api/v1/auth/login', { token: null, body: { username, password } });

test('an account is locked after its limit of wrong passwords, even for the right one; an administrator lifts it', async () => {
  for (let i = 0; i < ACCOUNT_MAX; i++) assert.is((await loginAs('seller1', 'wrong-password')).status, 401);
  const locked = await loginAs('seller1', 'seller1-password');
  assert.is(locked.status, 429);
  assert.is(locked.body.error.code, 'account_locked');
  assert.ok(locked.body.error.details.retryAfterSeconds > 3000);
  assert.is((await loginAs('SELLER1', 'seller1-password')).status, 429, 'another spelling of the name');
  const list = await api(cloud.url, '/api/v1/users/lockouts');
  assert.ok(list.body.items.some((l: any) => l.kind === 'account' && l.subject === 'seller1'), JSON.stringify(list.body));
  const seller = (await loginAs('admin', TEST_ADMIN_PASSWORD)).body.token;
  assert.is((await api(cloud.url, '/api/v1/users/lockouts', { token: seller.replace(/.$/, 'x') })).status, 401);
  assert.is((await api(cloud.url, '/api/v1/users/lockouts/account/seller1', { method: 'DELETE' })).status, 200);
  assert.is((await loginAs('seller1', 'seller1-password')).status, 200);
  const sellerToken = (await loginAs('seller1', 'seller1-password')).body.token;
  assert.is((await api(cloud.url, '/api/v1/users/lockouts/account/seller1', { method: 'DELETE', token: sellerToken })).status, 403, 'only an administrator lifts');
});

test('CLI: lockouts lists, unlock lifts', async () => {
  for (let i = 0; i < ACCOUNT_MAX; i++) await loginAs('seller1', 'wrong-password');
  assert.is((await loginAs('seller1', 'seller1-password')).status, 429);
  const root = new URL('..', import.meta.url).pathname;
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-cli-'));
  const token = (await loginAs('admin', TEST_ADMIN_PASSWORD)).body.token;
  const cli = (args: string[]) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(join(root, 'node_modules/.bin/tsx'), [join(root, 'cloud/cli/main.ts'), ...args], { env: { PATH: process.env.PATH!, CLOUD_URL: cloud.url, DATA_DIR: dataDir, SCENIC_TOKEN: token, TK_LANG: 'en' }, timeout: 60_000 },
      (err, out, errOut) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut }));
  });
  try {
    const [listed, lifted] = [await cli(['lockouts']), await cli(['unlock', 'seller1'])];
    assert.is(listed.code, 0, listed.err);
    assert.match(listed.out, /account seller1\s+3 failures, locked until/);
    assert.is(lifted.code, 0, lifted.err);
    assert.match(lifted.out, /lockout lifted: account seller1/);
    assert.is((await loginAs('seller1', 'seller1-password')).status, 200);
    const again = await cli(['unlock', 'seller1']);
    assert.is(again.code, 1, 'nothing to lift');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('an address is refused after its limit of failures across accounts; an administrator lifts it', async () => {
  let status = 401;
  let tries = 0;
  // Failures so far from this address count too; guess names until it is refused.
  while (status === 401 && tries < ADDRESS_MAX + 1) {
    status = (await loginAs(`guess-${tries++}`, 'wrong-password')).status;
  }
  assert.is(status, 429);
  const refused = await loginAs('admin', TEST_ADMIN_PASSWORD);
  assert.is(refused.status, 429, 'even the administrator, from this address');
  assert.is(refused.body.error.code, 'too_many_attempts');
  const list = await api(cloud.url, '/api/v1/users/lockouts');
  const address = list.body.items.find((l: any) => l.kind === 'address');
  assert.ok(address, JSON.stringify(list.body));
  assert.match(address.subject, /127\.0\.0\.1/);
  assert.is((await api(cloud.url, `/api/v1/users/lockouts/address/${encodeURIComponent(address.subject)}`, { method: 'DELETE' })).status, 200);
  assert.is((await loginAs('admin', TEST_ADMIN_PASSWORD)).status, 200);
});

test.run();
