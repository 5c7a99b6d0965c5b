/**
 * Two HQ nodes on one Postgres database, behind HAProxy (provisioning/ha/haproxy.cfg) for
 * HTTP, both on one mosquitto (provisioning/ha/mosquitto.conf) for the devices. Window
 * clients sell through the proxy and two gates admit what they sell; the node holding the
 * lease is killed (SIGKILL). Clients and gates carry on through the other node, which takes
 * the lease; every order answered 201 is in the database once, every passage once, and the
 * audit chain verifies. HA_CLIENTS (20), HA_BEFORE_S (4), HA_AFTER_S (5) size it.
 * Needs TEST_DATABASE_URL, mosquitto and haproxy (.ci/run provides all three).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDb, type OpenDb } from '../cloud/db/open.ts';
import { verifyAudit } from '../cloud/office/audit.ts';
import { api, freshPostgres, TEST_ADMIN_PASSWORD, waitFor } from './support/cloud.ts';
import { TEST_DEVICE_SECRET } from './support/devices.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { GateLoad, SalesLoad, gateNonces } from './support/load.ts';
import { must, seedOffice } from './support/office.ts';
import { provisionGates } from './support/provision.ts';

const CLIENTS = Number(process.env.HA_CLIENTS ?? 20);
const BEFORE_MS = Number(process.env.HA_BEFORE_S ?? 4) * 1000;
const AFTER_MS = Number(process.env.HA_AFTER_S ?? 5) * 1000;
const root = new URL('..', import.meta.url).pathname;

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd} || ls /usr/sbin/${cmd}`], { encoding: 'utf8' }).status === 0;
const missing = !process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL (bash test/support/postgres.sh start)'
  : !which('mosquitto') ? 'mosquitto (apt-get install mosquitto)' : !which('haproxy') ? 'haproxy (apt-get install haproxy)' : undefined;

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function daemon(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const out = openSync(log, 'a');
  const c = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

async function health(url: string): Promise<{ node?: string; leader?: boolean } | undefined> {
  try {
    const r = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200 ? ((await r.json()) as { node?: string; leader?: boolean }) : undefined;
  } catch {
    return undefined;
  }
}

if (missing) {
  console.log(`skipped: the two-node suite needs ${missing}`);
  test.skip('an HQ node dies under load: clients and gates carry on through the other', () => undefined);
} else {
  test('an HQ node dies under load: clients and gates carry on through the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-nodes-'));
    const server = (await freshPostgres())!;
    const gates: TestGate[] = [];
    let db: OpenDb | undefined;
    try {
      const mqttPort = await freePort();
      const conf = readFileSync(join(root, 'provisioning/ha/mosquitto.conf'), 'utf8')
        .replace(/^listener 1883$/m, `listener ${mqttPort} 127.0.0.1`).replace(/^persistence true$/m, 'persistence false')
        .replace(/^persistence_location .*$/m, '').replace(/^allow_anonymous false$/m, 'allow_anonymous true');
      writeFileSync(join(dir, 'mosquitto.conf'), conf);
      daemon('mosquitto', ['-c', join(dir, 'mosquitto.conf')], {}, join(dir, 'mosquitto.log'));
      const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;

      const nodes: { name: string; url: string; proc: ChildProcess }[] = [];
      for (const name of ['node_a', 'node_b']) {
        const port = await freePort();
        const dataDir = join(dir, name);
        // Nodes share the issuer key and device secret: the second gets the first's keys.
        if (nodes.length) cpSync(join(dir, 'node_a', 'keys'), join(dataDir, 'keys'), { recursive: true });
        const proc = daemon(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], {
          // The test's broker lets anyone in (allow_anonymous): its accounts are not HQ's to keep.
          DATABASE_URL: server.url, MQTT_URL: mqttUrl, MQTT_ACCOUNTS: 'manual', HQ_NODE: name, HTTP_PORT: String(port), DATA_DIR: dataDir,
          ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, DEVICE_SECRET: TEST_DEVICE_SECRET, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        }, join(dir, `${name}.log`));
        const url = `http://127.0.0.1:${port}`;
        await waitFor(`${name} up`, () => health(url), 60_000, 200);
        nodes.push({ name, url, proc });
      }
      const proxyPort = await freePort();
      daemon('haproxy', ['-db', '-f', join(root, 'provisioning/ha/haproxy.cfg')], {
        HQ_HTTP_BIND: `127.0.0.1:${proxyPort}`, HQ_NODE_A: nodes[0]!.url.slice(7), HQ_NODE_B: nodes[1]!.url.slice(7),
      }, join(dir, 'haproxy.log'));
      const proxy = `http://127.0.0.1:${proxyPort}`;
      await waitFor('proxy up', () => health(proxy), 20_000, 200);

      const { sellers } = await seedOffice(proxy);
      for (const s of sellers) must(await api(proxy, '/api/v1/shifts', { token: s.token, body: { floatFen: 0 } }), 201);
      await provisionGates(proxy, 'demo', [['gate-a', 'lane-a'], ['gate-b', 'lane-b']]);
      for (const [device, lane] of [['gate-a', 'lane-a'], ['gate-b', 'lane-b']]) gates.push(await startTestGate({ device, lane, cloudUrl: proxy, mqttUrl, ackTimeoutMs: 1000 }));
      await waitFor('gates synced', () => gates.every((g) => g.agent.store.keyring.size > 0 && g.agent.linkState.connected), 20_000);

      const leaders = async () => Promise.all(nodes.map(async (n) => (await health(n.url))?.leader === true));
      const [aLeads, bLeads] = await leaders();
      assert.ok(aLeads !== bLeads, 'one node holds the lease');
      const victim = aLeads ? nodes[0]! : nodes[1]!;
      const survivor = nodes.find((n) => n !== victim)!;

      const sales = new SalesLoad({ url: proxy, sellers, clients: CLIENTS });
      const entering = new GateLoad(gates, sales.codes);
      sales.start();
      entering.start();
      await new Promise((r) => setTimeout(r, BEFORE_MS));
      const before = sales.answered.length;
      const killedAt = Date.now();
      victim.proc.kill('SIGKILL');
      await waitFor('the lease moves', async () => (await health(survivor.url))?.leader === true, 30_000, 100);
      const leaseMs = Date.now() - killedAt;
      await new Promise((r) => setTimeout(r, AFTER_MS));
      await sales.stop();
      await entering.stop();
      const gapMs = sales.longestGap(killedAt - 2000, Date.now());
      await waitFor('outboxes drained', () => gates.every((g) => g.agent.store.outboxSize() === 0), 60_000);

      db = await openDb({ databaseUrl: server.url, pgliteDir: '' });
      const rows = async <T>(text: string, params: unknown[] = []) => (await (db!.db as unknown as { $client: { query: (t: string, p: unknown[]) => Promise<{ rows: T[] }> } }).$client.query(text, params)).rows;
      const orders = await rows<{ id: string; key: string }>(`select o.id, k.key from idempotency_keys k join orders o on o.id::text = k.ref->>'orderId' where k.key like 'load-%'`);
      const byKey = new Map(orders.map((o) => [o.key, o.id]));
      assert.is(orders.length, sales.answered.length, 'one order per key answered, none besides');
      for (const a of sales.answered) assert.is(byKey.get(a.key), a.orderId, `order ${a.key}`);
      for (const g of gates) {
        const held = (await rows<{ nonce: string }>('select nonce from entries where device = $1 order by nonce', [g.agent.config.device])).map((r) => r.nonce);
        assert.equal(held, gateNonces(g), `${g.agent.config.device}: every passage once`);
      }
      const audit = await verifyAudit(db.db);
      assert.ok(audit.ok, JSON.stringify(audit.problems.slice(0, 3)));
      console.log(JSON.stringify({
        clients: CLIENTS, orders: sales.answered.length, orders_before_kill: before, admitted: entering.admitted,
        lease_moved_s: leaseMs / 1000, longest_gap_s: gapMs / 1000, refused: Object.fromEntries(sales.refusals),
      }));
      assert.ok(sales.answered.length > before, 'sales went on through the other node');
      assert.ok(entering.admitted > 0);
    } catch (err) {
      for (const f of ['node_a.log', 'node_b.log', 'haproxy.log', 'mosquitto.log']) {
        if (existsSync(join(dir, f))) console.log(`--- ${f}\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n')}`);
      }
      throw err;
    } finally {
      for (const g of gates) await g.cleanup().catch(() => undefined);
      for (const c of children) c.kill('SIGKILL');
      await db?.close();
      await server.drop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
