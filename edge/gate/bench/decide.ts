import { randomUUID, sign, verify } from 'node:crypto';
import { base32nopad } from '@scure/base';
import { SimScanner } from '../../../hardware/scanner/sim.ts';
import { SimTurnstile } from '../../../hardware/turnstile/sim.ts';
import { encodeTicketCode, packPayload } from '../../../shared/code/ticket-code.ts';
import { silentLogger } from '../../../shared/log/logger.ts';
import { GateAgent } from '../agent.ts';
import { parseGateConfig } from '../config.ts';
import { BENCH_LANE, credentialValue, makeWorld, randomIndexOf, ticketFacts, ticketId, type World, type WorldParams } from './fixture.ts';
import { OtherCpu, percentiles, Progress } from './stats.ts';

/**
 * The measuring process, forked by gate.ts once the cache is built. It is a separate process
 * so that `rss_mb` is what a gate agent holding this cache costs: it keeps only the sample
 * inputs (a few tens of thousands of short strings), none of the builder's garbage.
 */
export interface DecideParams extends WorldParams {
  dataDir: string;
  tickets: number;
  samples: number;
  warmup: number;
  writes: number;
}

export const KINDS = ['qr', 'barcode', 'card', 'idcard', 'forged'] as const;
export type Kind = (typeof KINDS)[number];
type Quantiles = { p50: number; p99: number };

export interface DecideResult {
  kinds: Record<Kind, Quantiles>;
  floor: Quantiles;
  write: Quantiles;
  /** After the decisions ran: what the brief asks for. */
  rssMb: number;
  /** Right after the agent opened the cache, before any sample was made: node, tsx and the code. */
  rssOpenMb: number;
  /** V8 heap after the decisions, samples included: the part of rssMb that is JavaScript. */
  heapTotalMb: number;
  /** Cores' worth of CPU other processes used while decisions were timed. */
  otherCpuCores: number | undefined;
}

interface Op {
  name: Kind | 'floor';
  run(j: number): unknown;
  /** Checked outside the timed call: a benchmark that times the wrong outcome measures nothing. */
  expect(result: unknown): boolean;
}

const randomTicket = (count: number) => Math.floor(Math.random() * count);

function forge(code: string): string {
  const bytes = Buffer.from(base32nopad.decode(code));
  bytes[10]! ^= 0x01; // inside the ticket id: a well-formed code whose signature no longer fits
  return base32nopad.encode(bytes);
}

function inputs(w: World, kind: Kind, n: number, tickets: number): string[] {
  return Array.from({ length: n }, () => {
    if (kind === 'qr' || kind === 'forged') {
      const code = encodeTicketCode(ticketFacts(w, randomTicket(tickets)), w.key);
      return kind === 'qr' ? code : forge(code);
    }
    return credentialValue(w, kind, randomIndexOf(kind, tickets));
  });
}

/** The floor: what any decision must at least do, a signature check and one indexed read. */
function floorOp(agent: GateAgent, w: World, n: number, tickets: number): Op {
  const key = agent.store.keyring.get(w.key.keyId)!;
  const read = agent.store.db.$client.prepare('select * from tickets where id = ?');
  const samples = Array.from({ length: n }, () => {
    const facts = ticketFacts(w, randomTicket(tickets));
    const payload = packPayload(facts, w.key.keyId);
    return { payload, signature: sign(null, payload, w.key.privateKey), id: facts.ticketId };
  });
  return {
    name: 'floor',
    run: (j) => {
      const s = samples[j]!;
      return verify(null, s.payload, key, s.signature) && read.get(s.id) !== undefined;
    },
    expect: (ok) => ok === true,
  };
}

function evaluateOp(agent: GateAgent, kind: Kind, texts: string[]): Op {
  return {
    name: kind,
    run: (j) => agent.evaluate(texts[j]!),
    expect: (r) => {
      const { verdict } = r as ReturnType<GateAgent['evaluate']>;
      return kind === 'forged' ? !verdict.admit && verdict.reason === 'forged' : verdict.admit;
    },
  };
}

/**
 * Runs every op once per round, in an order rotated each round, so the kinds and the floor
 * share the same conditions (GC, page cache, CPU frequency) instead of running one after another.
 */
function timeRounds(ops: Op[], rounds: number, warmup: number): Float64Array[] {
  const times = ops.map(() => new Float64Array(rounds - warmup));
  const progress = new Progress('decide', rounds);
  for (let j = 0; j < rounds; j++) {
    for (let k = 0; k < ops.length; k++) {
      const idx = (j + k) % ops.length;
      const op = ops[idx]!;
      const t = performance.now();
      const r = op.run(j);
      const us = (performance.now() - t) * 1000;
      if (!op.expect(r)) throw new Error(`${op.name}: unexpected outcome ${JSON.stringify(r)}`);
      if (j >= warmup) times[idx]![j - warmup] = us;
    }
    if ((j & 0xff) === 0 || j === rounds - 1) progress.update(j + 1);
  }
  return times;
}

/** GateStore.recordEntry: the entry and its outbox row, one transaction, synchronous=FULL. */
function timeWrites(agent: GateAgent, w: World, n: number, tickets: number): Float64Array {
  const us = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const now = Date.now();
    const entry = {
      nonce: randomUUID(), device: agent.config.device, lane: agent.config.lane, venue: 'main', direction: 'in' as const,
      kind: 'normal' as const, persons: 1, ticketId: ticketId(w, randomTicket(tickets)), deviceTime: now, correctedTime: now,
    };
    const t = performance.now();
    agent.store.recordEntry(entry);
    us[j] = (performance.now() - t) * 1000;
  }
  return us;
}

const quantiles = (us: Float64Array): Quantiles => {
  const [p50, p99] = percentiles(us, 50, 99);
  return { p50: p50!, p99: p99! };
};

const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

async function main(p: DecideParams): Promise<DecideResult> {
  const w = makeWorld(p);
  // Never started: evaluate() needs only the store, so no timer, socket or MQTT client exists.
  // The URLs point at a closed port on loopback in case that ever changes.
  const config = parseGateConfig({
    device: 'bench-gate', site: 'bench', lane: BENCH_LANE, dataDir: p.dataDir,
    cloudUrl: 'http://127.0.0.1:9/', mqttUrl: 'mqtt://127.0.0.1:9',
  });
  const agent = new GateAgent(config, { turnstile: new SimTurnstile(), scanner: new SimScanner(), log: silentLogger });
  const rssOpenMb = rssMb();
  const rounds = p.warmup + p.samples;
  process.stderr.write(`preparing ${rounds.toLocaleString('en')} inputs per kind (signing codes)...\n`);
  const ops = [...KINDS.map((k) => evaluateOp(agent, k, inputs(w, k, rounds, p.tickets))), floorOp(agent, w, rounds, p.tickets)];
  const cpu = new OtherCpu();
  const times = timeRounds(ops, rounds, p.warmup);
  const otherCpuCores = cpu.cores();
  const rssDecidedMb = rssMb();
  const heapTotalMb = Math.round(process.memoryUsage().heapTotal / 2 ** 20);
  process.stderr.write(`durable writes: ${p.writes.toLocaleString('en')}...\n`);
  const write = quantiles(timeWrites(agent, w, p.writes, p.tickets));
  await agent.stop();
  const kinds = Object.fromEntries(KINDS.map((k, i) => [k, quantiles(times[i]!)])) as Record<Kind, Quantiles>;
  return { kinds, floor: quantiles(times[KINDS.length]!), write, rssMb: rssDecidedMb, rssOpenMb, heapTotalMb, otherCpuCores };
}

main(JSON.parse(process.argv[2]!) as DecideParams).then(
  (result) => process.send!(result, () => process.disconnect()),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
