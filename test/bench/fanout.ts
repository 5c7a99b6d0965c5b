import type { Cloud } from '../../cloud/server.ts';
import { Progress } from '../../edge/gate/bench/stats.ts';
import { api } from '../support/cloud.ts';
import type { PoolTicket } from './entries.ts';
import { logHead, startBenchGate, waitSynced, type BenchGate } from './rig.ts';
import { traffic, type Traffic } from './wan.ts';

/** The largest sale HQ takes (saleRequest.quantity). */
const SALE_MAX = 500;
/** Ticket types sold, by chunk: mostly single adults, some families, groups and annual passes. */
const SALE_MIX = ['adult', 'adult', 'family', 'adult', 'adult', 'group', 'adult', 'adult', 'annual', 'adult'];

export const TICKET_TYPES = [
  { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1, rules: { reentry: { windowMinutes: 240 } } },
  { code: 'family', name: '家庭票', priceFen: 30000, validityDays: 1, entries: 1, persons: 3, rules: { reentry: { windowMinutes: 240 } } },
  { code: 'group', name: '团队票', priceFen: 150000, validityDays: 1, entries: 1, persons: 20 },
  { code: 'annual', name: '年卡', priceFen: 50000, validityDays: 365, entries: 0, persons: 1, rules: { kind: 'member' } },
];

export interface FanoutResult {
  gates: number;
  tickets: number;
  /** First sale started -> every gate holds every ticket. */
  fanoutS: number;
  /** Last sale's response (it commits just before reading the sale back) -> every gate holds every ticket. */
  afterLastSaleS: number;
  salesS: number;
  /** When each gate was done, from the first sale, seconds. */
  perGateS: number[];
  /** Per gate, through its HTTP line and its MQTT line. */
  http: Traffic;
  mqtt: Traffic;
  /** What was sold, for the upload phases to name; adults with their codes, for live scans. */
  pool: PoolTicket[];
  adultCodes: { id: string; code: string }[];
}

/**
 * Gates each behind their own line, all synced; then HQ sells `tickets` new tickets in
 * sales of 500 (one after the other, as windows and OTA channels would, HQ-side, no WAN).
 * Sampled every 50 ms: each gate's checkpoint, until every one reaches the log's head.
 */
export async function runFanout(cloud: Cloud, opts: { gates: number; tickets: number }): Promise<FanoutResult> {
  const gates: BenchGate[] = [];
  let sampling = false;
  try {
    process.stderr.write(`fanout: starting ${opts.gates} gates, each behind its own line...\n`);
    for (let i = 1; i <= opts.gates; i++) gates.push(await startBenchGate(cloud, `fan-${String(i).padStart(2, '0')}`));
    for (const g of gates) await waitSynced(cloud, g);
    const http0 = gates.map((g) => g.wan.http.stats);
    const mqtt0 = gates.map((g) => g.wan.mqtt.stats);

    const samples: { at: number; checkpoints: number[] }[] = [];
    sampling = true;
    const t0 = performance.now();
    const sampler = (async () => {
      while (sampling) {
        samples.push({ at: performance.now(), checkpoints: gates.map((g) => g.gate.agent.store.checkpoint()) });
        await new Promise((r) => setTimeout(r, 50));
      }
    })().catch(() => undefined); // gates stopping under it after a failure

    const { pool, adultCodes } = await sellTickets(cloud, opts.tickets);
    const tSales = performance.now();
    const head = await logHead(cloud);

    const progressSync = new Progress('fanout: gates synced', gates.length);
    for (;;) {
      const synced = gates.filter((g) => g.gate.agent.store.checkpoint() >= head).length;
      progressSync.update(synced);
      if (synced === gates.length) break;
      if (performance.now() - t0 > 600_000) throw new Error(`fanout: only ${synced}/${gates.length} gates synced after 600 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    sampling = false;
    await sampler;
    samples.push({ at: performance.now(), checkpoints: gates.map((g) => g.gate.agent.store.checkpoint()) });
    const perGateS = gates.map((_, i) => (samples.find((s) => s.checkpoints[i]! >= head)!.at - t0) / 1000);
    const tDone = Math.max(...perGateS) * 1000 + t0;

    for (const g of gates) {
      const n = (g.gate.agent.store.db.$client.prepare('select count(*) n from tickets').get() as { n: number }).n;
      if (n !== opts.tickets) throw new Error(`fanout: ${g.device} holds ${n} tickets, expected ${opts.tickets}`);
    }
    const sum = (xs: Traffic[]) => ({ up: xs.reduce((a, x) => a + x.up, 0) / xs.length, down: xs.reduce((a, x) => a + x.down, 0) / xs.length });
    return {
      gates: gates.length, tickets: opts.tickets,
      fanoutS: (tDone - t0) / 1000, afterLastSaleS: (tDone - tSales) / 1000, salesS: (tSales - t0) / 1000, perGateS,
      http: sum(gates.map((g, i) => traffic(http0[i]!, g.wan.http.stats))),
      mqtt: sum(gates.map((g, i) => traffic(mqtt0[i]!, g.wan.mqtt.stats))),
      pool, adultCodes,
    };
  } finally {
    sampling = false;
    for (const g of gates) await g.stop();
  }
}

/** HQ sells `tickets` tickets in sales of 500, by SALE_MIX: what the upload phases name. */
export async function sellTickets(cloud: { url: string }, tickets: number): Promise<Pick<FanoutResult, 'pool' | 'adultCodes'>> {
  const pool: PoolTicket[] = [];
  const adultCodes: { id: string; code: string }[] = [];
  const progress = new Progress('selling', tickets);
  let sold = 0;
  for (let chunk = 0; sold < tickets; chunk++) {
    const type = SALE_MIX[chunk % SALE_MIX.length]!;
    const quantity = Math.min(SALE_MAX, tickets - sold);
    const res = await api(cloud.url, '/api/v1/sales', { body: { type, quantity } });
    if (res.status !== 201) throw new Error(`sale failed: ${res.status} ${JSON.stringify(res.body)}`);
    for (const t of res.body.tickets as { id: string; code: string; persons: number }[]) {
      pool.push({ id: t.id, persons: t.persons });
      if (type === 'adult') adultCodes.push({ id: t.id, code: t.code });
    }
    sold += quantity;
    progress.update(sold);
  }
  return { pool, adultCodes };
}
