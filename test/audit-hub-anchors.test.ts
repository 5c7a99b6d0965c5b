import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { api, login, startTestCloud, TEST_ADMIN_PASSWORD, testLog, waitFor } from './support/cloud.ts';
import { testSiteKey } from './support/devices.ts';
import { must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

const root = new URL('..', import.meta.url).pathname;
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/tsx'), [join(root, 'cloud/cli/main.ts'), ...args], { env: { PATH: process.env.PATH!, ...env }, timeout: 60_000 }, (err, out, errOut) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut }));
  });
}

test('issue 14: the audit chain\'s signed heads kept at a site hub catch a deleted tail after the anchor file went too', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubanchor-'));
  const cliDir = mkdtempSync(join(tmpdir(), 'tk-cli-'));
  let hub: SiteHub | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    await seedOffice(cloud.url);
    hub = new SiteHub(parseHubConfig({
      hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
      upstream: { mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, cloudUrl: cloud.url }, window: { syncIntervalMs: 200 },
    }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    const db = cloud.ctx!.db;
    const head = async () => Number(((await db.execute(sql`select max(seq) s from audit_log`)) as unknown as { rows: { s: string }[] }).rows[0]!.s);

    // A change at HQ, then its signed head, which the hub copies.
    const before = await head();
    must(await api(cloud.url, '/api/v1/ticket-types/child', { method: 'PATCH', body: { name: '儿童优惠票' } }), 200);
    const anchor = must(await api(cloud.url, '/api/v1/audit/anchors', { method: 'POST' }), 200);
    assert.ok(anchor.seq > before);
    const copy = await waitFor('the hub keeps the anchor', async () => {
      const r = await (await fetch(`${h.url}/api/v1/hub/anchors`)).json() as { items: { seq: number; sig: string }[] };
      return r.items.find((a) => a.seq === anchor.seq) && r.items;
    });
    assert.is(copy.at(-1)!.sig, anchor.sig, 'as HQ signed it');
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);

    // The attacker, with the whole database and HQ's data directory (not its key): the change
    // undone with the triggers off, its records deleted (the chain's tail), the anchor file gone.
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`update ticket_types set name = '儿童票' where code = 'child'`);
      await tx.execute(sql`delete from audit_log where seq > ${before}`);
    });
    const file = cloud.ctx!.config.auditAnchorLog ?? join(cloud.ctx!.config.dataDir, 'audit', 'anchors.jsonl');
    assert.ok(existsSync(file));
    rmSync(file);
    const blind = must(await api(cloud.url, '/api/v1/audit/verify'), 200);
    assert.ok(blind.ok, 'HQ alone sees a database that agrees with itself');
    assert.is(blind.anchor, null);

    // The hub's copy tells.
    const hubCopy = (await (await fetch(`${h.url}/api/v1/hub/anchors`)).json() as { items: unknown[] }).items;
    const v = must(await api(cloud.url, '/api/v1/audit/verify', { body: { anchors: hubCopy } }), 200);
    assert.not.ok(v.ok);
    assert.ok(v.problems.some((p: any) => p.kind === 'tail_deleted' && p.seq === anchor.seq), JSON.stringify(v.problems));
    assert.equal(v.anchor, { seq: anchor.seq, hash: anchor.hash, at: anchor.at });
    // An anchor made up by the attacker counts for nothing.
    const forged = { ...anchor, seq: before, hash: 'f'.repeat(64) };
    const f = must(await api(cloud.url, '/api/v1/audit/verify', { body: { anchors: [forged] } }), 200);
    assert.equal(f.problems.map((p: any) => p.kind), ['anchor_invalid']);

    // The same from the command line: audit-verify --hub <url>.
    const token = await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD);
    const env = { CLOUD_URL: cloud.url, DATA_DIR: cliDir, SCENIC_TOKEN: token };
    const alone = await cli(['audit-verify'], env);
    assert.is(alone.code, 0, alone.err);
    const withHub = await cli(['audit-verify', '--hub', h.url], env);
    assert.is(withHub.code, 4, withHub.out + withHub.err);
    assert.match(withHub.out, /审计链尾部被删除/);
    assert.match(withHub.out, /站点锚点副本/);
  } finally {
    await hub?.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cliDir, { recursive: true, force: true });
  }
});

test.run();
