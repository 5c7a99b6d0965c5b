/**
 * HQ and three gates on lines that drop at random, for a while: HQ sells and revokes, the
 * gates admit. Once the lines settle, every gate's cache equals HQ's view (cache digest) and
 * HQ's entries are exactly the union of what the gates logged.
 *
 * CONVERGE_MS (default 20000) is how long the busy, dropping phase lasts; CONVERGE_SEED
 * replays the line behaviour and the choices of what to sell, revoke and scan.
 */
import { testDeviceHeader, withGateToken, testHqHeader } from './support/devices.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entries } from '../cloud/db/schema/index.ts';
import { GateAgent } from '../edge/gate/agent.ts';
import { parseGateConfig } from '../edge/gate/config.ts';
import { SimScanner } from '../hardware/scanner/sim.ts';
import { SimTurnstile } from '../hardware/turnstile/sim.ts';
import { LinkSim, seededRandom } from './tools/link-sim.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { provisionGates } from './support/provision.ts';

const BUSY_MS = Number(process.env.CONVERGE_MS ?? 20_000);
const SEED = Number(process.env.CONVERGE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const GATES = 3;

const TYPES = [
  { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 },
  { code: 'three', name: '三次票', priceFen: 30000, validityDays: 1, entries: 3, persons: 1 },
  { code: 'group4', name: '团队票（4人）', priceFen: 40000, validityDays: 1, entries: 1, persons: 4 },
];
const REASONS = ['refunded', 'lost', 'reissued', 'cancelled'] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`a cloud and ${GATES} gates on dropping lines converge: caches equal HQ, HQ entries equal the gates' logs`, async () => {
  console.log(`sync-convergence: seed ${SEED} (CONVERGE_SEED=${SEED} replays it), ${BUSY_MS} ms busy`);
  const random = seededRandom(SEED);
  const cloud = await startTestCloud();
  const links: LinkSim[] = [];
  const gates: TestGate[] = [];
  const line = (port: number, n: number) => new LinkSim({
    target: { host: '127.0.0.1', port }, latencyMs: 40, jitterMs: 15, upKbps: 128, downKbps: 512,
    dropProbabilityPerSecond: 0.25, dropOutageMs: 400, random: seededRandom(SEED + n),
  });
  try {
    for (const t of TYPES) assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: t })).status, 201);
    await provisionGates(cloud.url, 'demo', Array.from({ length: GATES }, (_, i) => [`gate-${i + 1}`, `lane-${i + 1}`] as [string, string]));
    for (let i = 1; i <= GATES; i++) {
      const http = line(cloud.httpPort, 2 * i);
      const mqtt = line(cloud.mqttPort, 2 * i + 1);
      await http.start();
      await mqtt.start();
      links.push(http, mqtt);
      gates.push(await startTestGate({
        device: `gate-${i}`, lane: `lane-${i}`, cloudUrl: `http://127.0.0.1:${http.port}`, mqttUrl: `mqtt://127.0.0.1:${mqtt.port}`,
        pullIntervalMs: 400, ackTimeoutMs: 800, batchSize: 50, catchupBatchSize: 50,
      }));
    }

    const sold: { id: string; code: string; persons: number }[] = [];
    const revoked = new Set<string>();
    const decisions = { admitted: 0, refused: new Map<string, number>() };
    let busy = true;

    // HQ: a sale every ~250 ms, a revocation every ~1.2 s (of a ticket that may be in use).
    const hq = (async () => {
      let nextRevoke = Date.now() + 1200;
      while (busy) {
        const type = TYPES[Math.floor(random() * TYPES.length)]!;
        const sale = await api(cloud.url, '/api/v1/sales', { body: { type: type.code, quantity: 1 + Math.floor(random() * 2) } });
        assert.is(sale.status, 201, JSON.stringify(sale.body));
        sold.push(...sale.body.tickets.map((t: any) => ({ id: t.id, code: t.code, persons: t.persons })));
        if (Date.now() >= nextRevoke && sold.length > 3) {
          nextRevoke += 1200;
          const t = sold[Math.floor(random() * sold.length)]!;
          if (!revoked.has(t.id)) {
            const r = await api(cloud.url, `/api/v1/tickets/${t.id}/revoke`, { body: { reason: REASONS[Math.floor(random() * REASONS.length)] } });
            assert.is(r.status, 200, JSON.stringify(r.body));
            revoked.add(t.id);
          }
        }
        await sleep(150 + random() * 200);
      }
    })();
    // Gates: visitors keep coming, with tickets old and new (group tickets in parts).
    const lanes = gates.map(async (g) => {
      while (busy) {
        await sleep(40 + random() * 60);
        if (sold.length === 0) continue;
        const t = sold[Math.floor(random() * sold.length)]!;
        const d = await g.agent.present(t.code, { persons: 1 + Math.floor(random() * t.persons) });
        if (d.admit) decisions.admitted++;
        else decisions.refused.set(d.reason, (decisions.refused.get(d.reason) ?? 0) + 1);
      }
    });
    await sleep(BUSY_MS);
    busy = false;
    await Promise.all([hq, ...lanes]);

    // The lines settle: no more drops, any outage over.
    for (const l of links) {
      l.set({ dropProbabilityPerSecond: 0 });
      l.restore();
    }
    const drops = links.reduce((n, l) => n + l.stats.drops, 0);
    console.log(`sync-convergence: ${sold.length} tickets sold, ${revoked.size} revoked, ${decisions.admitted} admitted, ` +
      `refused ${JSON.stringify(Object.fromEntries(decisions.refused))}, ${drops} line drops`);
    assert.ok(drops >= GATES, `the lines did drop (${drops})`);
    assert.ok(decisions.admitted > 0);

    const after = Math.floor(Date.now() / 1000);
    const hqDigest = async () => (await api(cloud.url, `/api/v1/sync/digest?site=demo&after=${after}`, { headers: testHqHeader() })).body as { tickets: number; digest: string };
    const t0 = Date.now();
    await waitFor('every gate cache equals HQ', async () => {
      const want = await hqDigest();
      return gates.every((g) => {
        const have = g.agent.store.cacheDigest(after);
        return have.digest === want.digest && have.tickets === want.tickets;
      });
    }, 30_000, 100).catch(async (err) => {
      const want = await hqDigest();
      const have = gates.map((g) => ({ device: g.agent.config.device, ...g.agent.store.cacheDigest(after), checkpoint: g.agent.store.checkpoint(), pull: g.agent.linkState.pullError }));
      throw new Error(`${(err as Error).message}: HQ ${JSON.stringify(want)}, gates ${JSON.stringify(have)}`);
    });
    await waitFor('every outbox drained', () => gates.every((g) => g.agent.store.outboxSize() === 0), 30_000, 100);
    console.log(`sync-convergence: converged ${((Date.now() - t0) / 1000).toFixed(1)} s after the lines settled`);
    const want = await hqDigest();
    assert.is(want.tickets, sold.length, 'HQ digest covers every ticket sold');
    for (const g of gates) assert.equal(g.agent.store.cacheDigest(after), want, `${g.agent.config.device} cache`);

    // HQ's ledger is exactly the union of the gates' own logs, each entry under its gate.
    await sleep(1000); // past the ack timeout: a late re-send would have landed by now
    const atHq = new Map((await cloud.ctx!.db.select({ nonce: entries.nonce, device: entries.device }).from(entries)).map((e) => [e.nonce, e.device]));
    const union = new Map<string, string>();
    for (const g of gates) {
      const device = g.agent.config.device;
      const own = g.agent.store.db.$client.prepare('select nonce from entries where device = ?').all(device) as { nonce: string }[];
      for (const e of own) union.set(e.nonce, device);
      // What a gate heard from its siblings is real too: every such entry is at HQ, under that sibling.
      const heard = g.agent.store.db.$client.prepare('select nonce, device from entries where device <> ?').all(device) as { nonce: string; device: string }[];
      const phantom = heard.filter((e) => atHq.get(e.nonce) !== e.device);
      assert.is(phantom.length, 0, `${device} heard ${phantom.length} sibling entries HQ does not hold`);
    }
    const missing = [...union].filter(([nonce]) => !atHq.has(nonce));
    const extra = [...atHq].filter(([nonce]) => !union.has(nonce));
    const misplaced = [...union].filter(([nonce, device]) => atHq.has(nonce) && atHq.get(nonce) !== device);
    assert.is(missing.length, 0, `${missing.length} gate entries missing at HQ`);
    assert.is(extra.length, 0, `${extra.length} HQ entries no gate logged`);
    assert.is(misplaced.length, 0, `${misplaced.length} entries under the wrong device`);
    assert.is(atHq.size, union.size);
    console.log(`sync-convergence: HQ holds ${atHq.size} entries = union of the ${GATES} gates' logs`);
  } finally {
    for (const g of gates) await g.cleanup();
    for (const l of links) await l.stop();
    await cloud.cleanup();
  }
});

test('gates provisioned from one cloned image: HQ still holds every gate\'s entries, and each gate its siblings\'', async () => {
  const cloud = await startTestCloud();
  const base = mkdtempSync(join(tmpdir(), 'tk-clone-'));
  const gates: GateAgent[] = [];
  const gate = async (device: string, dataDir: string) => {
    const config = parseGateConfig(withGateToken({ device, site: 'demo', lane: `lane-${device}`, dataDir, cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, pullIntervalMs: 300, ackTimeoutMs: 500 }));
    const agent = new GateAgent(config, { turnstile: new SimTurnstile({ autoPass: true, passDelayMs: 1 }), scanner: new SimScanner(), log: testLog.child(device) });
    await agent.start();
    gates.push(agent);
    return agent;
  };
  try {
    await provisionGates(cloud.url, 'demo', [['gate-1', 'lane-gate-1'], ['gate-2', 'lane-gate-2']]);
    await api(cloud.url, '/api/v1/ticket-types', { body: TYPES[0] });
    const sold = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 2 } })).body.tickets as { id: string; code: string }[];
    // The installer sets up one gate (its first boot makes its database), then copies its
    // card to the second gate of the lane and gives that one its own device name.
    const golden = await gate('gate-1', join(base, 'gate-1'));
    await waitFor('golden image synced', () => golden.store.keyring.size > 0 && sold.every((t) => golden.store.ticket(t.id)));
    await golden.stop();
    gates.pop();
    cpSync(join(base, 'gate-1'), join(base, 'gate-2'), { recursive: true });
    const g1 = await gate('gate-1', join(base, 'gate-1'));
    const g2 = await gate('gate-2', join(base, 'gate-2'));
    // Siblings hear each other live on the broker: both must be connected before they admit.
    await waitFor('both gates connected', () => g1.linkState.connected && g2.linkState.connected);
    assert.ok((await g1.present(sold[0]!.code)).admit);
    assert.ok((await g2.present(sold[1]!.code)).admit);
    await waitFor('outboxes drained', () => g1.store.outboxSize() === 0 && g2.store.outboxSize() === 0);
    await sleep(1000);

    const atHq = (await cloud.ctx!.db.select().from(entries)).map((e) => `${e.device} ${e.ticketId}`).sort();
    assert.equal(atHq, [`gate-1 ${sold[0]!.id}`, `gate-2 ${sold[1]!.id}`].sort(), 'HQ holds both admits, each under its gate');
    assert.is(g1.store.history(sold[1]!.id).length, 1, 'gate 1 heard gate 2\'s entry');
    assert.is(g2.store.history(sold[0]!.id).length, 1, 'gate 2 heard gate 1\'s entry');
  } finally {
    for (const g of gates) await g.stop();
    await cloud.cleanup();
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
