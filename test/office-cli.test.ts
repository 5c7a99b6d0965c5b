import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { ADULT, api, login, startTestCloud, TEST_ADMIN_PASSWORD } from './support/cloud.ts';

const root = new URL('..', import.meta.url).pathname;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/tsx'), [join(root, 'cloud/cli/main.ts'), ...args], { env: { PATH: process.env.PATH!, ...env }, timeout: 60_000 }, (err, out, errOut) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut }));
  });
}

test('CLI: logs in (user/password or token), sells, and audit-verify fails on an edited payment', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-cli-')); // no demo.json here
  try {
    const base = { CLOUD_URL: cloud.url, DATA_DIR: dataDir };
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: ADULT })).status, 201);
    const none = await cli(['types'], base);
    assert.is(none.code, 1);
    assert.match(none.err, /SCENIC_TOKEN/);
    const bad = await cli(['types'], { ...base, SCENIC_USER: 'admin', SCENIC_PASSWORD: 'wrong-password' });
    assert.is(bad.code, 1);
    assert.match(bad.err, /401 invalid_credentials/);
    const sold = await cli(['sell', 'adult', '1'], { ...base, SCENIC_USER: 'admin', SCENIC_PASSWORD: TEST_ADMIN_PASSWORD });
    assert.is(sold.code, 0, sold.err);
    assert.match(sold.out, /售出 1 × adult/);
    // A window order paid in cash, so there is a payment to tamper with.
    const o = await api(cloud.url, '/api/v1/orders', { body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 20000 }] } });
    assert.is(o.status, 201);
    const token = await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD);
    const ok = await cli(['audit-verify'], { ...base, SCENIC_TOKEN: token });
    assert.is(ok.code, 0, ok.err);
    assert.match(ok.out, /审计链完整/);
    await cloud.ctx!.db.execute(sql`update payments set change_fen = 0`);
    const broken = await cli(['audit-verify', '--en'], { ...base, SCENIC_TOKEN: token });
    assert.is(broken.code, 4);
    assert.match(broken.out, /audit chain broken/);
    assert.match(broken.out, /change_fen/, broken.out);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await cloud.cleanup();
  }
});

test.run();
