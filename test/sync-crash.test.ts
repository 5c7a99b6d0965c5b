/**
 * A gate process killed with SIGKILL at random moments, over and over, while it admits
 * visitors and uploads: every admit the console answered must reach HQ exactly once.
 *
 * CRASH_N (default 50) kills; CRASH_SEED replays a run; CRASH_MIN_MS / CRASH_MAX_MS (100 /
 * 500) bound when, after the gate said READY, the kill comes. Each restart costs 1.2-2.5 s of
 * process start-up with tsx (more on a loaded machine), so the default run takes ~100 s.
 */
import { testDeviceHeader, testHqHeader } from './support/devices.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { entries } from '../cloud/db/schema/index.ts';
import { LinkSim, seededRandom } from './tools/link-sim.ts';
import { GateProcess } from './support/gate-process.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { provisionGates } from './support/provision.ts';

const CRASHES = Number(process.env.CRASH_N ?? 50);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILL_MIN_MS = Number(process.env.CRASH_MIN_MS ?? 100);
const KILL_MAX_MS = Number(process.env.CRASH_MAX_MS ?? 500);
const DEVICE = 'gate-k';

const SOLO = { code: 'solo', name: '年卡', priceFen: 0, validityDays: 1, entries: 0, persons: 1 };
const FAMILY = { code: 'family', name: '家庭年卡', priceFen: 0, validityDays: 1, entries: 0, persons: 4 };

interface Tally { entries: number; persons: number }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`a gate killed with SIGKILL ${CRASHES} times while admitting and uploading: every answered admit at HQ exactly once`, async () => {
  console.log(`sync-crash: seed ${SEED} (CRASH_SEED=${SEED} replays it), ${CRASHES} kills, ${KILL_MIN_MS}-${KILL_MAX_MS} ms after READY`);
  // The kill schedule has its own stream, so a seed replays it whatever the scans drew.
  const killRandom = seededRandom(SEED);
  const random = seededRandom(SEED + 3);
  const cloud = await startTestCloud();
  await provisionGates(cloud.url, 'demo', [[DEVICE, 'lane-k']]);
  // A slow line, so batches are still on their way (or waiting for their ack) when the kill
  // comes; narrow enough that entries travel in batches of several, not one batch per scan.
  const httpLink = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 10, random: seededRandom(SEED + 1) });
  const mqttLink = new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort }, latencyMs: 25, jitterMs: 10, upKbps: 64, random: seededRandom(SEED + 2) });
  await httpLink.start();
  await mqttLink.start();
  const dir = mkdtempSync(join(tmpdir(), 'tk-sync-crash-'));
  const gate = GateProcess.write(dir, {
    device: DEVICE, site: 'demo', lane: 'lane-k', dataDir: join(dir, 'data'),
    cloudUrl: `http://127.0.0.1:${httpLink.port}`, mqttUrl: `mqtt://127.0.0.1:${mqttLink.port}`,
    pullIntervalMs: 500, ackTimeoutMs: 600, batchSize: 25, catchupBatchSize: 25,
    turnstile: { driver: 'sim', autoPass: true, passDelayMs: 1 }, console: { port: 0 },
  });
  const t0 = Date.now();
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: SOLO });
    await api(cloud.url, '/api/v1/ticket-types', { body: FAMILY });
    const tickets: { id: string; code: string; persons: number }[] = [];
    for (const [type, quantity] of [['solo', 6], ['family', 3]] as const) {
      const sale = await api(cloud.url, '/api/v1/sales', { body: { type, quantity } });
      assert.is(sale.status, 201);
      tickets.push(...sale.body.tickets.map((t: any) => ({ id: t.id, code: t.code, persons: t.persons })));
    }
    const head = (await api(cloud.url, '/api/v1/sync/changes?site=demo&since=0&limit=5000', { headers: testHqHeader() })).body.next as number;
    await gate.start();
    await waitFor('gate synced', async () => (await gate.status()).link.checkpoint >= head, 15_000);

    const answered = new Map<string, Tally>(tickets.map((t) => [t.id, { entries: 0, persons: 0 }]));
    // Scans in flight when the kill came: the gate may or may not have written them.
    const unknown = new Map<string, Tally>(tickets.map((t) => [t.id, { entries: 0, persons: 0 }]));
    const refused: string[] = [];
    let admits = 0, inDoubt = 0, restartMs = 0;

    for (let round = 0; round < CRASHES; round++) {
      if (round > 0) {
        const r0 = Date.now();
        await gate.start();
        restartMs += Date.now() - r0;
      }
      const killAfter = KILL_MIN_MS + killRandom() * (KILL_MAX_MS - KILL_MIN_MS);
      let stopping = false;
      // Two lanes of visitors at once, so more than one scan can be in flight at the kill.
      const scanners = [0, 1].map(async () => {
        while (!stopping) {
          const t = tickets[Math.floor(random() * tickets.length)]!;
          const persons = 1 + Math.floor(random() * t.persons);
          try {
            const d = await gate.scan(t.code, persons);
            if (!d.admit) { refused.push(`${d.reason}: ${d.messageEn}`); continue; }
            admits++;
            const a = answered.get(t.id)!;
            a.entries++;
            a.persons += d.persons;
          } catch {
            inDoubt++;
            const u = unknown.get(t.id)!;
            u.entries++;
            u.persons += persons;
          }
        }
      });
      await sleep(killAfter);
      stopping = true;
      await gate.kill('SIGKILL');
      await Promise.all(scanners);
    }
    const atHqBeforeDrain = (await cloud.ctx!.db.select({ nonce: entries.nonce }).from(entries).where(eq(entries.device, DEVICE))).length;
    console.log(`sync-crash: ${CRASHES} kills, ${admits} admits answered, ${inDoubt} scans in doubt, ${atHqBeforeDrain} entries at HQ before the drain, ` +
      `restarts ${Math.round(restartMs / Math.max(1, CRASHES - 1))} ms on average`);
    assert.equal(refused, [], 'an unlimited ticket is never refused');
    assert.ok(admits > CRASHES, `scans were answered (${admits})`);

    // The last life: on a line without a cap, it drains the outbox, then stops cleanly.
    mqttLink.set({ upKbps: undefined });
    await gate.start();
    await waitFor('outbox drained', async () => (await gate.status()).link.outbox === 0, 60_000, 100).catch(async (err) => {
      const status = await gate.status().catch((e: Error) => `console unreachable: ${e.message}`);
      const streams = (await api(cloud.url, '/api/v1/device-streams')).body.items;
      throw new Error(`${(err as Error).message}\ngate: ${JSON.stringify(status)}\nHQ streams: ${JSON.stringify(streams)}\n` +
        `line: ${JSON.stringify(mqttLink.stats)}\ngate output:\n${gate.output.slice(-3000)}`);
    });
    await sleep(1000); // past the ack timeout: a re-send, if any, has landed
    assert.is((await gate.status()).link.outbox, 0, 'the outbox stays empty');
    await gate.kill('SIGTERM');

    const db = new Database(join(dir, 'data', 'gate.sqlite'), { readonly: true });
    const logged = db.prepare('select nonce, ticket_id ticketId, kind, persons from entries where device = ?').all(DEVICE) as { nonce: string; ticketId: string; kind: string; persons: number }[];
    const outboxLeft = (db.prepare('select count(*) n from outbox').get() as { n: number }).n;
    db.close();
    assert.is(outboxLeft, 0, 'nothing left in the outbox file');

    const hq = await cloud.ctx!.db.select().from(entries).where(eq(entries.device, DEVICE));
    const hqNonces = new Set(hq.map((e) => e.nonce));
    assert.is(hqNonces.size, hq.length);
    // What the gate logged is what HQ holds: nothing lost on the way, nothing extra.
    const missing = logged.filter((e) => !hqNonces.has(e.nonce));
    assert.is(missing.length, 0, `${missing.length} entries logged at the gate never reached HQ`);
    assert.is(hq.length, logged.length, 'HQ holds nothing the gate did not log');

    // Every answered admit is there, once; a scan in doubt at most once.
    const totalAnswered = [...answered.values()].reduce((n, a) => n + a.entries, 0);
    const totalUnknown = [...unknown.values()].reduce((n, a) => n + a.entries, 0);
    const normal = hq.filter((e) => e.kind === 'normal' && e.direction === 'in');
    assert.ok(normal.length >= totalAnswered && normal.length <= totalAnswered + totalUnknown,
      `HQ has ${normal.length} entries for ${totalAnswered} answered admits and ${totalUnknown} in doubt`);
    for (const t of tickets) {
      const mine = normal.filter((e) => e.ticketId === t.id);
      const persons = mine.reduce((n, e) => n + e.persons, 0);
      const a = answered.get(t.id)!, u = unknown.get(t.id)!;
      assert.ok(mine.length >= a.entries && mine.length <= a.entries + u.entries,
        `ticket ${t.id}: HQ has ${mine.length} entries, ${a.entries} answered, ${u.entries} in doubt`);
      assert.ok(persons >= a.persons && persons <= a.persons + u.persons,
        `ticket ${t.id}: HQ has ${persons} persons, ${a.persons} answered, ${u.persons} in doubt`);
    }
    console.log(`sync-crash: HQ holds ${hq.length} entries (${totalAnswered} answered + ${hq.length - totalAnswered} of ${totalUnknown} in doubt), ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await gate.kill('SIGKILL');
    await mqttLink.stop();
    await httpLink.stop();
    await cloud.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
