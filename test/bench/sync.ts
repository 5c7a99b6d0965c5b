/**
 * Sync benchmark: `npm run bench:sync`. A real HQ (PGlite, aedes, HTTP on loopback) and real
 * gate agents, every gate behind simulated ADSL lines (test/bench/wan.ts: 512 kbit/s up,
 * 2 Mbit/s down, 75 ms each way). Measures, in this order:
 *
 *   fanout    gates synced, then HQ sells tickets in sales of 500: until every gate holds them
 *   upload    bytes on the MQTT line, both ways, per entry a gate uploads (backlog and live)
 *   baseline  the same entries as one JSON message each, QoS 1, through an identical line
 *   floor     the packed size of an entry's own fields, nonce derived (entries.ts floorBytes)
 *   catchup   entries queued while the line was cut: restore() until HQ holds them all (against
 *             the line floor: its bytes at the line's rate, a round trip to connect and the last
 *             byte's trip; catchupFloor), HQ in
 *             a process of its own (catchup_hq_cpu_s: its CPU meanwhile; catchup_gate_cpu_s:
 *             this process's, the gate's, its line's and the observer's)
 *   paced     10 gates each scanning 1 visitor a second for 2 minutes, production config,
 *             twice: on a site hub's LAN with the hub's one line to HQ (recommended), and
 *             each gate on its own line (paced_direct_*): bytes on the wire per entry (IP
 *             and TCP headers included: link-sim counts packets and models delayed ACKs,
 *             52 bytes a header), messages a minute, lag
 *   dead link a rush upload when the line dies silently (no FIN): bytes sent beyond one copy
 *   ingest    HQ's ingest per 200-entry batch, against the pre-issue-18 ingest as baseline
 *
 * Progress and a table go to stderr; the last stdout line is one JSON object.
 * Environment: BENCH_ENTRIES (10,000, catch-up), BENCH_TICKETS (10,000, fanout),
 * BENCH_GATES (20, fanout), BENCH_UPLOAD (2,000, upload and baseline), BENCH_LIVE (200 scans),
 * BENCH_PACED_GATES (10), BENCH_PACED_S (120), BENCH_DEAD_LINK (5,000 entries at 200/s).
 * BENCH_ONLY=catchup runs the catch-up and the ingest probe alone (tickets sold without the
 * fanout's gates), BENCH_ONLY=ingest the probe alone; BENCH_PROBE_BATCHES (10) sets the
 * probe's 200-entry batches; BENCH_POSTGRES=1 runs HQ on a fresh database of the Postgres
 * server named by TEST_DATABASE_URL instead of PGlite.
 */
import { OtherCpu } from '../../edge/gate/bench/stats.ts';
import { loadavg } from 'node:os';
import { api, freshPostgres, startTestCloud } from '../support/cloud.ts';
import { seededRandom } from '../tools/link-sim.ts';
import { probeIngest, runCatchup, startCatchupHq } from './catchup.ts';
import { checkFloor, floorBytes, floorWithNonceBytes, makeEntries, type PoolTicket } from './entries.ts';
import { runFanout, sellTickets, TICKET_TYPES } from './fanout.ts';
import { Observer } from './observer.ts';
import { runBaseline, runUpload } from './upload.ts';
import { WAN } from './wan.ts';
import { PRODUCTION, runPaced } from './paced.ts';
import type { HqProcess } from './hq-process.ts';
import { runDeadLink } from './dead-link.ts';
import { hubSaleFields, runHubSale } from './hub-sale.ts';

const liveCodesReserved = new Set<string>();

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

const entries = envInt('BENCH_ENTRIES', 10_000);
const opts = {
  entries,
  tickets: envInt('BENCH_TICKETS', 10_000),
  gates: envInt('BENCH_GATES', 20),
  upload: envInt('BENCH_UPLOAD', Math.min(2_000, entries)),
  live: envInt('BENCH_LIVE', 200),
  pacedGates: envInt('BENCH_PACED_GATES', 10),
  pacedS: envInt('BENCH_PACED_S', 120),
  deadLink: envInt('BENCH_DEAD_LINK', 5_000),
  probeBatches: envInt('BENCH_PROBE_BATCHES', 10),
  hubSales: envInt('BENCH_HUB_SALES', 60),
};
const only = (process.env.BENCH_ONLY || undefined) as 'catchup' | 'ingest' | undefined;
if (only !== undefined && only !== 'catchup' && only !== 'ingest') throw new Error(`BENCH_ONLY must be catchup or ingest, got "${only}"`);
/** A busy window at a site hub: a sale every 2 s (test/bench/hub-sale.ts). */
const HUB_SALE_EVERY_MS = 2_000;
const GOALS = { catchupS: 10, fanoutS: 30 };
/** A busy entrance: one scan every 50 ms. */
const LIVE_PER_SECOND = 20;
/** Mean gap between entries in the generated logs (a busy lane). */
const MEAN_GAP_MS = 1_500;

const r1 = (n: number) => Math.round(n * 10) / 10;
const r2 = (n: number) => Math.round(n * 100) / 100;

/**
 * What the line alone takes to carry a catch-up: its bytes at the line's rate, plus the
 * line's own delays that no sender can avoid: one round trip to open the session (MQTT
 * CONNECT and CONNACK; the TCP handshake before it is not simulated, so not counted) and the
 * last byte's trip to HQ. `bytes` alone is the figure printed before (catchup_line_bytes_s).
 */
function catchupFloor(bytesUp: number): { bytes: number; floor: number } {
  const bytes = (bytesUp * 8) / WAN.upKbps! / 1000;
  return { bytes, floor: bytes + (3 * WAN.latencyMs!) / 1000 };
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function printTable(rows: [string, string | number][]): void {
  const fmt = (v: string | number) => (typeof v === 'number' ? v.toLocaleString('en') : v);
  process.stderr.write(`\n${rows.map(([k, v]) => (k ? `${k.padEnd(56)}${fmt(v)}` : '')).join('\n')}\n\n`);
}

async function main(): Promise<void> {
  process.stderr.write(`line: ${WAN.upKbps} kbit/s up, ${WAN.downKbps} kbit/s down, ${WAN.latencyMs} ms one way\n`);
  const pg = process.env.BENCH_POSTGRES === '1' ? await freshPostgres() : undefined;
  if (process.env.BENCH_POSTGRES === '1' && !pg) throw new Error('BENCH_POSTGRES=1 needs TEST_DATABASE_URL (test/support/postgres.sh)');
  const cloud = await startTestCloud(pg ? { databaseUrl: pg.url } : {});
  const observer = new Observer(cloud.mqttUrl);
  await observer.start();
  try {
    for (const t of TICKET_TYPES) {
      const res = await api(cloud.url, '/api/v1/ticket-types', { body: t });
      if (res.status !== 201) throw new Error(`ticket type ${t.code}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    if (only) return await runOnly(cloud, only);

    // Timings mean little if other processes shared the two cores; said in the output.
    const fanCpu = new OtherCpu();
    const fan = await runFanout(cloud, { gates: opts.gates, tickets: opts.tickets });
    const fanOtherCpu = fanCpu.cores();

    // Disjoint tickets for the live scans (they must be unused) and for each generated log.
    const random = seededRandom(20_240_601);
    const liveCodes = fan.adultCodes.slice(-opts.live);
    const pacedCodes = fan.adultCodes.slice(0, -opts.live).slice(0, 2 * opts.pacedGates * opts.pacedS).map((c) => c.code);
    for (const c of pacedCodes) liveCodesReserved.add(c);
    const reserved = new Set([...liveCodes, ...fan.adultCodes.filter((c) => liveCodesReserved.has(c.code))].map((c) => c.id));
    const pool = shuffle(fan.pool.filter((t) => !reserved.has(t.id)), random);
    const split = Math.ceil((pool.length * opts.upload) / (opts.upload + opts.entries));
    const poolUp: PoolTicket[] = pool.slice(0, split);
    const poolCatchup: PoolTicket[] = pool.slice(split);
    const now = Date.now();
    const uploadEntries = makeEntries({ count: opts.upload, pool: poolUp, start: now - opts.upload * MEAN_GAP_MS, meanGapMs: MEAN_GAP_MS, random });
    const floor = floorBytes(uploadEntries);
    checkFloor({ device: 'gate-up', epoch: '00000000-0000-4000-8000-000000000000', firstSeq: 1, lastSeq: 200, entries: uploadEntries.slice(0, 200) });

    const up = await runUpload(cloud, observer, { entries: uploadEntries, liveCodes: liveCodes.map((c) => c.code), livePerSecond: LIVE_PER_SECOND });
    const base = await runBaseline(cloud, uploadEntries);

    // The catch-up's HQ runs in a process of its own (another machine in production), with tickets of its own.
    const cuHq = await startCatchupHq(Math.ceil(opts.tickets / 2), pg !== undefined);
    let cu!: Awaited<ReturnType<typeof runCatchup>>;
    let cuOtherCpu: number | undefined;
    try {
      const catchupEntries = makeEntries({ count: opts.entries, pool: cuHq.pool, start: now - opts.entries * MEAN_GAP_MS, meanGapMs: MEAN_GAP_MS, random });
      cuOtherCpu = await otherCpuThan(cuHq.hq, () => runCatchup(cuHq.hq, catchupEntries).then((r) => (cu = r)));
    } finally {
      await cuHq.stop();
    }

    // Both ways a site can reach HQ, the recommended one (through a hub) first; disjoint codes.
    const half = Math.floor(pacedCodes.length / 2);
    const paced = await runPaced(cloud, observer, { gates: opts.pacedGates, seconds: opts.pacedS, codes: pacedCodes.slice(0, half), via: 'hub' });
    const direct = await runPaced(cloud, observer, { gates: opts.pacedGates, seconds: opts.pacedS, codes: pacedCodes.slice(half), via: 'direct' });
    process.stderr.write(`dead link: ${opts.deadLink} entries at 200/s, the line silent for 6 s...\n`);
    const dead = await runDeadLink(cloud, observer, { entries: opts.deadLink, perSecond: 200, silentAfterMs: 6000, silentMs: 6000 });

    process.stderr.write(`window sales at a site hub: ${opts.hubSales}, one every ${HUB_SALE_EVERY_MS} ms...\n`);
    const hubSale = await runHubSale(cloud, { sales: opts.hubSales, everyMs: HUB_SALE_EVERY_MS });

    process.stderr.write('probing HQ ingest alone (and the baseline)...\n');
    const probeLog = makeEntries({ count: 2_000, pool: poolCatchup, start: Date.now() - 2_000 * MEAN_GAP_MS, meanGapMs: MEAN_GAP_MS, random });
    const probe = await probeIngest(cloud, Array.from({ length: 10 }, (_, i) => probeLog.slice(i * 200, i * 200 + 200)));
    const load = loadavg();

    const n = up.backlog.entries;
    const bytesPerEntry = up.backlog.line.up / n;
    const baselinePerEntry = base.line.up / n;
    const perGate = [...fan.perGateS].sort((a, b) => a - b);
    const upBatches = up.backlog.topics.up ?? { messages: 0, bytes: 0 };
    const liveTopics = up.live.topics;
    const out = {
      bytes_per_entry: r1(bytesPerEntry),
      bytes_per_entry_down: r1(up.backlog.line.down / n),
      bytes_per_entry_total: r1((up.backlog.line.up + up.backlog.line.down) / n),
      floor_bytes_per_entry: r1(floor),
      floor_with_random_nonce_bytes: r1(floorWithNonceBytes(uploadEntries)),
      ratio_to_floor: r2(bytesPerEntry / floor),
      baseline_bytes_per_entry: r1(baselinePerEntry),
      baseline_bytes_per_entry_down: r1(base.line.down / n),
      baseline_ratio: r2(baselinePerEntry / bytesPerEntry),
      upload_entries: n,
      upload_mode: 'backlog: recordEntry while the line is up, drained in batches',
      upload_batches: upBatches.messages,
      upload_resent_batches: upBatches.resent ?? 0,
      upload_payload_bytes_per_entry: r1(upBatches.bytes / n),
      upload_s: r2(up.backlog.seconds),
      baseline_s: r2(base.seconds),
      live_entries: up.live.entries,
      live_scans_per_s: LIVE_PER_SECOND,
      live_bytes_per_entry: r1(up.live.line.up / up.live.entries),
      live_bytes_per_entry_down: r1(up.live.line.down / up.live.entries),
      live_batches: liveTopics.up?.messages ?? 0,
      live_batch_payload_bytes_per_entry: r1((liveTopics.up?.bytes ?? 0) / up.live.entries),
      live_status_messages: liveTopics.status?.messages ?? 0,
      live_status_payload_bytes_per_entry: r1((liveTopics.status?.bytes ?? 0) / up.live.entries),
      catchup_s: r2(cu.catchupS),
      catchup_entries: cu.entries,
      catchup_reconnect_s: r2(cu.reconnectS),
      catchup_first_ack_s: r2(cu.firstAckS),
      catchup_drained_s: r2(cu.drainedS),
      catchup_bytes_up: cu.line.up,
      catchup_bytes_down: cu.line.down,
      catchup_line_floor_s: r2(catchupFloor(cu.line.up).floor),
      catchup_line_bytes_s: r2(catchupFloor(cu.line.up).bytes),
      catchup_ratio_to_floor: r2(cu.catchupS / catchupFloor(cu.line.up).floor),
      catchup_ratio_to_bytes: r2(cu.catchupS / catchupFloor(cu.line.up).bytes),
      catchup_batches: cu.topics.up?.messages ?? 0,
      catchup_resent_batches: cu.topics.up?.resent ?? 0,
      catchup_ack_gap_p50_ms: cu.ackGapP50Ms,
      catchup_ack_gap_max_ms: cu.ackGapMaxMs,
      catchup_other_cpu_cores: cuOtherCpu ?? null,
      catchup_hq_cpu_s: cu.hqCpuS === undefined ? null : r2(cu.hqCpuS),
      catchup_gate_cpu_s: r2(cu.benchCpuS),
      catchup_goal_s: GOALS.catchupS,
      catchup_ok: cu.catchupS < GOALS.catchupS,
      hq_unpack_ms_per_batch: r2(probe.unpackMs),
      hq_ingest_ms_per_batch: r1(probe.ingestMs),
      hq_ingest_baseline_ms_per_batch: r1(probe.baselineMs),
      hq_ingest_speedup: r1(probe.baselineMs / probe.ingestMs),
      hq_ingest_min_ms_per_batch: r1(probe.ingestMinMs),
      hq_ingest_baseline_min_ms_per_batch: r1(probe.baselineMinMs),
      hq_ingest_entries_per_s: Math.round(200_000 / probe.ingestMs),
      hq_ingest_baseline_entries_per_s: Math.round(200_000 / probe.baselineMs),
      load_avg_1m_5m: [r2(load[0]!), r2(load[1]!)],
      paced_config: 'hub: gates on a site hub\'s LAN (coalesceMs 0, ackTimeoutMs 30000), the hub coalescing 10 s into bundles over one WAN line (README recommends it)',
      paced_gates: paced.gates,
      paced_entries: paced.entries,
      paced_s: paced.seconds,
      paced_coalesce_ms: PRODUCTION.coalesceMs,
      paced_up_bytes_per_entry: r1(paced.upPerEntry),
      paced_down_bytes_per_entry: r1(paced.downPerEntry),
      paced_mqtt_up_bytes_per_entry: r1(paced.mqttUpPerEntry),
      paced_mqtt_down_bytes_per_entry: r1(paced.mqttDownPerEntry),
      paced_mqtt_app_up_bytes_per_entry: r1(paced.mqttAppUpPerEntry),
      paced_bytes_counted: 'link-sim: application bytes + 52 B (IPv4, TCP, timestamps) per packet, packets = segments of <= 1460 B + pure ACKs (delayed 40 ms, else piggybacked); both lines (MQTT, HTTP); no handshakes',
      paced_batches_per_gate_per_min: r1(paced.batchesPerMinute),
      paced_status_per_gate_per_min: r1(paced.statusPerMinute),
      paced_hq_lag_p50_s: r2(paced.lagP50S),
      paced_hq_lag_p99_s: r2(paced.lagP99S),
      paced_down_ack_payload_bytes_per_entry: r1(paced.downAckPayloadPerEntry),
      paced_hub_resent_bundles: paced.hubResent,
      paced_ok: paced.upPerEntry <= 30 && paced.downPerEntry <= 20 && paced.lagP99S < 15,
      paced_direct_up_bytes_per_entry: r1(direct.upPerEntry),
      paced_direct_down_bytes_per_entry: r1(direct.downPerEntry),
      paced_direct_mqtt_app_up_bytes_per_entry: r1(direct.mqttAppUpPerEntry),
      paced_direct_down_ack_payload_bytes_per_entry: r1(direct.downAckPayloadPerEntry),
      paced_direct_down_sibling_payload_bytes_per_entry: r1(direct.downSiblingPayloadPerEntry),
      paced_direct_batches_per_gate_per_min: r1(direct.batchesPerMinute),
      paced_direct_hq_lag_p99_s: r2(direct.lagP99S),
      paced_direct_ok: direct.upPerEntry <= 30 && direct.downPerEntry <= 20 && direct.lagP99S < 15,
      dead_link_entries: dead.entries,
      dead_link_at_hq: dead.atHq,
      dead_link_data_bytes: dead.dataBytes,
      dead_link_extra_bytes: dead.extraBytes,
      dead_link_duplicate_bytes: dead.duplicateBytes,
      dead_link_lost_bytes: dead.lostBytes,
      dead_link_extra_ratio: r2(dead.extraBytes / dead.dataBytes),
      dead_link_noticed_s: r1(dead.noticedS),
      fanout_s: r2(fan.fanoutS),
      fanout_after_last_sale_s: r2(fan.afterLastSaleS),
      fanout_sales_s: r2(fan.salesS),
      fanout_gate_p50_s: r2(perGate[Math.floor(perGate.length / 2)]!),
      fanout_gate_first_s: r2(perGate[0]!),
      fanout_down_bytes_per_ticket: r1(fan.http.down / fan.tickets),
      fanout_mqtt_down_bytes_per_gate: Math.round(fan.mqtt.down),
      fanout_other_cpu_cores: fanOtherCpu ?? null,
      fanout_goal_s: GOALS.fanoutS,
      fanout_ok: fan.fanoutS < GOALS.fanoutS,
      ...hubSaleFields(hubSale),
      entries: opts.entries,
      tickets: opts.tickets,
      gates: opts.gates,
      wan: { up_kbps: WAN.upKbps, down_kbps: WAN.downKbps, latency_ms: WAN.latencyMs },
    };
    printTable([
      ['upload (MQTT line), bytes per entry', ''],
      ['  ours, up', out.bytes_per_entry],
      ['  ours, down', out.bytes_per_entry_down],
      ['  floor (packed fields, no deflate)', out.floor_bytes_per_entry],
      ['  ratio to floor', out.ratio_to_floor],
      ['  baseline (JSON per entry), up', out.baseline_bytes_per_entry],
      ['  baseline / ours', out.baseline_ratio],
      [`  live scans at ${LIVE_PER_SECOND}/s, up / down`, `${out.live_bytes_per_entry} / ${out.live_bytes_per_entry_down}`],
      ['', ''],
      [`catch-up of ${cu.entries.toLocaleString('en')} entries, s (goal < ${GOALS.catchupS})`, `${out.catchup_s}${out.catchup_ok ? '' : '  MISSED'}`],
      ['  reconnect / all acked, s', `${out.catchup_reconnect_s} / ${out.catchup_drained_s}`],
      ['  line alone would take, s (its bytes alone)', `${out.catchup_line_floor_s} (${out.catchup_line_bytes_s})`],
      ['  ratio to the line floor (to its bytes alone)', `${out.catchup_ratio_to_floor} (${out.catchup_ratio_to_bytes})`],
      ['  HQ ingest per 200-entry batch, ms (baseline)', `${out.hq_ingest_ms_per_batch} (${out.hq_ingest_baseline_ms_per_batch}, x${out.hq_ingest_speedup})`],
      ['', ''],
      [`paced via a hub: ${paced.gates} gates x 1 scan/s x ${paced.seconds} s, bytes per entry up / down`, `${out.paced_up_bytes_per_entry} / ${out.paced_down_bytes_per_entry}${out.paced_ok ? '' : '  MISSED'}`],
      ['  MQTT line only, up / down', `${out.paced_mqtt_up_bytes_per_entry} / ${out.paced_mqtt_down_bytes_per_entry}`],
      ['  bundles per gate per minute', out.paced_batches_per_gate_per_min],
      ['  scan to committed at HQ, p50 / p99 s', `${out.paced_hq_lag_p50_s} / ${out.paced_hq_lag_p99_s}`],
      ['paced direct (each gate its own line), up / down', `${out.paced_direct_up_bytes_per_entry} / ${out.paced_direct_down_bytes_per_entry}${out.paced_direct_ok ? '' : '  MISSED'}`],
      ['  down payload: siblings\' uploads / HQ\'s acks', `${out.paced_direct_down_sibling_payload_bytes_per_entry} / ${out.paced_direct_down_ack_payload_bytes_per_entry}`],
      ['  scan to committed at HQ, p99 s', out.paced_direct_hq_lag_p99_s],
      [`dead link: extra bytes of ${dead.dataBytes.toLocaleString('en')}`, `${out.dead_link_extra_bytes} (${Math.round(out.dead_link_extra_ratio * 100)} %), noticed in ${out.dead_link_noticed_s} s`],
      [`window sales at a site hub (${hubSale.sales}), WAN bytes per sale up / down`, `${out.hub_up_bytes_per_sale} / ${out.hub_down_bytes_per_sale} (its entry: ${out.hub_sale_entry_json_bytes} B of JSON)`],
      ['', ''],
      [`fanout of ${fan.tickets.toLocaleString('en')} tickets to ${fan.gates} gates, s (goal < ${GOALS.fanoutS})`, `${out.fanout_s}${out.fanout_ok ? '' : '  MISSED'}`],
      ['  selling took, s', out.fanout_sales_s],
      ['  after the last sale, s', out.fanout_after_last_sale_s],
      ['  first / median gate done, s', `${out.fanout_gate_first_s} / ${out.fanout_gate_p50_s}`],
      ['  HTTP down bytes per ticket per gate', out.fanout_down_bytes_per_ticket],
    ]);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await observer.stop();
    await cloud.cleanup();
    await pg?.drop();
  }
}

/** Cores other processes than the bench and its HQ process took while `run` ran (OtherCpu, less HQ's). */
async function otherCpuThan(hq: HqProcess, run: () => Promise<unknown>): Promise<number | undefined> {
  const cpu = new OtherCpu();
  const t0 = performance.now();
  const hq0 = await hq.cpuSeconds();
  await run();
  const hqCores = (await hq.cpuSeconds() - hq0) / ((performance.now() - t0) / 1000);
  const cores = cpu.cores();
  return cores === undefined ? undefined : Math.max(0, r2(cores - hqCores));
}

/** BENCH_ONLY: the catch-up (unless `ingest`) and the ingest probe, on tickets sold without gates. */
async function runOnly(cloud: Awaited<ReturnType<typeof startTestCloud>>, what: 'catchup' | 'ingest'): Promise<void> {
  const random = seededRandom(20_240_601);
  const postgres = process.env.BENCH_POSTGRES === '1';
  // The catch-up's HQ in a process of its own (another machine in production), set up meanwhile.
  const [{ pool }, cuHq] = await Promise.all([sellTickets(cloud, opts.tickets), what === 'catchup' ? startCatchupHq(Math.ceil(opts.tickets / 2), postgres) : undefined]);
  shuffle(pool, random);
  const half = Math.ceil(pool.length / 2);
  const now = Date.now();
  const out: Record<string, unknown> = { only: what, backend: postgres ? 'postgres' : 'pglite' };
  if (cuHq) {
    const catchupEntries = makeEntries({ count: opts.entries, pool: shuffle(cuHq.pool, random), start: now - opts.entries * MEAN_GAP_MS, meanGapMs: MEAN_GAP_MS, random });
    let cu!: Awaited<ReturnType<typeof runCatchup>>;
    const otherCpu = await otherCpuThan(cuHq.hq, () => runCatchup(cuHq.hq, catchupEntries).then((r) => (cu = r))).finally(() => cuHq.stop());
    Object.assign(out, {
      catchup_s: r2(cu.catchupS), catchup_entries: cu.entries, catchup_reconnect_s: r2(cu.reconnectS), catchup_first_ack_s: r2(cu.firstAckS), catchup_drained_s: r2(cu.drainedS),
      catchup_bytes_up: cu.line.up, catchup_line_floor_s: r2(catchupFloor(cu.line.up).floor), catchup_line_bytes_s: r2(catchupFloor(cu.line.up).bytes),
      catchup_ratio_to_floor: r2(cu.catchupS / catchupFloor(cu.line.up).floor), catchup_ratio_to_bytes: r2(cu.catchupS / catchupFloor(cu.line.up).bytes),
      catchup_batches: cu.topics.up?.messages ?? 0, catchup_resent_batches: cu.topics.up?.resent ?? 0,
      catchup_ack_gap_p50_ms: cu.ackGapP50Ms, catchup_ack_gap_max_ms: cu.ackGapMaxMs, catchup_other_cpu_cores: otherCpu ?? null,
      catchup_hq_cpu_s: cu.hqCpuS === undefined ? null : r2(cu.hqCpuS), catchup_gate_cpu_s: r2(cu.benchCpuS),
    });
  }
  process.stderr.write(`probing HQ ingest alone (and the baseline), ${opts.probeBatches} batches...\n`);
  const probeLog = makeEntries({ count: opts.probeBatches * 200, pool: pool.slice(half), start: Date.now() - opts.probeBatches * 200 * MEAN_GAP_MS, meanGapMs: MEAN_GAP_MS, random });
  const probe = await probeIngest(cloud, Array.from({ length: opts.probeBatches }, (_, i) => probeLog.slice(i * 200, i * 200 + 200)));
  const load = loadavg();
  Object.assign(out, {
    hq_unpack_ms_per_batch: r2(probe.unpackMs), hq_ingest_ms_per_batch: r1(probe.ingestMs), hq_ingest_baseline_ms_per_batch: r1(probe.baselineMs),
    hq_ingest_speedup: r1(probe.baselineMs / probe.ingestMs), hq_ingest_min_ms_per_batch: r1(probe.ingestMinMs), hq_ingest_baseline_min_ms_per_batch: r1(probe.baselineMinMs),
    load_avg_1m_5m: [r2(load[0]!), r2(load[1]!)],
  });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
