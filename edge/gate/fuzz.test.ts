import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SimScanner } from '../../hardware/scanner/sim.ts';
import { SimTurnstile } from '../../hardware/turnstile/sim.ts';
import { createLogger, type Logger } from '../../shared/log/logger.ts';
import { REFUSALS, refusalMessage } from '../../shared/rules/reasons.ts';
import { GateAgent, type Decision } from './agent.ts';
import { parseGateConfig } from './config.ts';
import { buildCorpus } from './testing/fuzz-corpus.ts';
import { fuzzInputs, GENERATOR_NAMES, type FuzzInput } from './testing/fuzz-inputs.ts';
import { judgeResolution } from './testing/fuzz-oracle.ts';
import { Prng, seedFromEnv } from './testing/prng.ts';
import { asServed } from './testing/credentials.ts';

/**
 * Fuzzes a real gate (SQLite cache, simulated turnstile) with random and mutated scanner
 * input. FUZZ_N scales the run (default 100,000); FUZZ_SEED replays one (printed at the start;
 * input i depends only on the seed, so any N >= i reaches it again).
 *
 * Every input goes through evaluate(), the pure decision present() makes. Every 20th, every
 * one evaluate() would admit, and every one evaluate() throws on also go through present():
 * an admit writes an fsynced entry and releases the turnstile, so presenting all 100,000
 * would time the disk, not the gate. present() must agree with evaluate() on each of them.
 */
const N = Number(process.env.FUZZ_N ?? 100_000);
const PRESENT_EVERY = 20;
const SEED = seedFromEnv();
const NOW = Date.UTC(2025, 5, 16, 2, 0, 0); // a Monday, 10:00 in Shanghai
const VALID_REASONS = new Set<string>([...REFUSALS, 'ok']);
/** Refusals that mean the input never got as far as a ticket. */
const CREDENTIAL_REFUSALS = new Set<string>(['empty', 'too_long', 'malformed', 'unknown_key', 'forged', 'unknown']);

interface Tally { n: number; presented: number; resolved: number; noncanonical: number; threw: number; reasons: Map<string, number> }
interface Failure { i: number; gen: string; problem: string; input: string }

/** Counts the gate's errors (present() logs one when its decision threw) and drops the rest. */
function recordingLog(errors: string[]): Logger {
  const inner = process.env.LOG_LEVEL ? createLogger('fuzz') : undefined;
  const log: Logger = {
    debug: (f, m) => inner?.debug(f, m),
    info: (f, m) => inner?.info(f, m),
    warn: (f, m) => inner?.warn(f, m),
    error: (f, m) => {
      errors.push(m ?? 'error');
      inner?.error(f, m);
    },
    child: () => log,
  };
  return log;
}

/** A loopback port nobody listens on: the gate's uplinks fail fast, as when offline. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function preview(input: unknown): string {
  if (typeof input === 'string') {
    const s = JSON.stringify(input.length > 300 ? input.slice(0, 300) : input);
    return input.length > 300 ? `${s}... (${input.length} chars)` : s;
  }
  return JSON.stringify(input, (_k, v: unknown) => (v === undefined ? '<undefined>' : typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}... (${v.length} chars)` : v));
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`present() did not resolve within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

test(`fuzz: ${N} scanner inputs, seed ${SEED}`, async () => {
  console.log(`fuzz: seed ${SEED} (replay: FUZZ_SEED=${SEED} FUZZ_N=${N} npx tsx edge/gate/fuzz.test.ts)`);
  const rng = new Prng(SEED);
  const corpus = buildCorpus(rng, NOW);
  const next = fuzzInputs(rng, corpus);
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-fuzz-'));
  const errors: string[] = [];
  const turnstile = new SimTurnstile({ autoPass: true, passDelayMs: 0 });
  const config = parseGateConfig({
    device: 'fuzz-gate', site: 'fuzz', lane: 'lane-1', dataDir, pullIntervalMs: 3_600_000,
    cloudUrl: `http://127.0.0.1:${await deadPort()}`, mqttUrl: `mqtt://127.0.0.1:${await deadPort()}`,
  });
  const gate = new GateAgent(config, { turnstile, scanner: new SimScanner(), log: recordingLog(errors), now: () => NOW });
  gate.store.applyBatch(asServed(corpus.batch), config.device);
  await gate.start();

  const tallies = new Map<string, Tally>(GENERATOR_NAMES.map((g) => [g, { n: 0, presented: 0, resolved: 0, noncanonical: 0, threw: 0, reasons: new Map() }]));
  const failures: Failure[] = [];
  let failureCount = 0;
  let admits = 0;
  let admittedPersons = 0;
  let illTypedErrors = 0;
  const t0 = performance.now();

  try {
    for (let i = 0; i < N; i++) {
      const f: FuzzInput = next();
      const t = tallies.get(f.gen)!;
      const fail = (problem: string) => {
        failureCount++;
        if (failures.length < 25) failures.push({ i, gen: f.gen, problem, input: preview(f.input) });
      };
      t.n++;

      let verdict: { admit: boolean; reason: string; ticketId?: string } | undefined;
      try {
        const r = gate.evaluate(f.input);
        verdict = { admit: r.verdict.admit, reason: r.verdict.admit ? 'ok' : r.verdict.reason, ticketId: r.ticketId };
        if (!VALID_REASONS.has(verdict.reason)) fail(`evaluate: reason ${verdict.reason} is not in REFUSALS`);
        if (!r.verdict.admit) {
          for (const locale of ['zh-CN', 'en'] as const) {
            const m = refusalMessage(r.verdict.reason, { ...r.verdict.detail, tz: config.timeZone }, locale);
            if (typeof m !== 'string' || m.trim() === '') fail(`evaluate: empty ${locale} message for ${r.verdict.reason}`);
          }
        }
        if (r.ticketId !== undefined) {
          t.resolved++;
          if (CREDENTIAL_REFUSALS.has(verdict.reason)) fail(`evaluate: resolved ticket ${r.ticketId} but refused ${verdict.reason}`);
          const j = judgeResolution(corpus, f.input, r.ticketId, r.credential);
          if (j === 'noncanonical') t.noncanonical++;
          else if (j !== 'exact') fail(`FORGERY: ${j} (${verdict.reason})`);
        } else if (!verdict.admit && !CREDENTIAL_REFUSALS.has(verdict.reason)) {
          fail(`evaluate: refused ${verdict.reason} without naming a ticket`);
        }
        if (f.expect && verdict.reason !== f.expect) fail(`expected ${f.expect}, evaluate said ${verdict.reason}`);
        if (f.resolves && r.ticketId !== f.resolves) fail(`expected it to resolve to ticket ${f.resolves}, evaluate said ${verdict.reason}${r.ticketId ? ` for ${r.ticketId}` : ''}`);
      } catch (err) {
        t.threw++;
        if (f.typed) fail(`evaluate threw on a well-typed input: ${(err as Error).stack ?? String(err)}`);
      }

      let decision: Decision | undefined;
      if (i % PRESENT_EVERY === 0 || verdict === undefined || verdict.admit) {
        t.presented++;
        const errorsBefore = errors.length;
        try {
          decision = await within(gate.present(f.input), 5000);
        } catch (err) {
          fail(`present() threw or hung: ${(err as Error).message}`);
        }
        if (decision) {
          const d = decision;
          if (!VALID_REASONS.has(d.reason)) fail(`present: reason ${String(d.reason)} is not in REFUSALS`);
          if (d.admit !== (d.reason === 'ok')) fail(`present: admit ${d.admit} with reason ${d.reason}`);
          if (typeof d.message !== 'string' || d.message.trim() === '') fail('present: empty zh-CN message');
          if (typeof d.messageEn !== 'string' || d.messageEn.trim() === '') fail('present: empty English message');
          if (verdict && (d.admit !== verdict.admit || d.reason !== verdict.reason)) fail(`present said ${d.reason}, evaluate said ${verdict.reason}`);
          if (d.admit) {
            admits++;
            admittedPersons += d.persons;
            if (!d.ticketId || d.persons < 1) fail(`present: admitted ${d.persons} persons for ticket ${d.ticketId}`);
          }
        }
        if (errors.length > errorsBefore) {
          if (f.typed) fail(`present logged an error on a well-typed input: ${errors.slice(errorsBefore).join('; ')}`);
          else illTypedErrors++;
        }
      }
      const reason = decision?.reason ?? verdict?.reason ?? 'threw';
      t.reasons.set(reason, (t.reasons.get(reason) ?? 0) + 1);
      // Let the turnstile walk the admitted through and the gate's timers run.
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
    const elapsed = performance.now() - t0;
    console.log(summary(tallies, elapsed, admits, illTypedErrors));
    const report = failures.map((x) => `  #${x.i} [${x.gen}] ${x.problem}\n      input: ${x.input}`).join('\n');
    if (failureCount) console.log(`${failureCount} oracle failures, first ${failures.length}:\n${report}`);

    // Still working: a ticket no generator ever showed is admitted, and everyone admitted passed.
    const last = await gate.present(corpus.fresh.text);
    assert.is(last.admit, true, `fresh ticket refused: ${last.reason}`);
    assert.is(last.ticketId, corpus.fresh.ticketId);
    admits++;
    admittedPersons += last.persons;
    for (const until = Date.now() + 10_000; gate.counters.passed < admittedPersons && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
    assert.is(gate.counters.passed, admittedPersons, 'every admitted person was let through');
    assert.is(gate.counters.returned, 0);
    assert.is(gate.counters.admitted, admits);
    assert.is(gate.store.outboxSize(), admits, 'one durable entry per admit, none per refusal');

    if (failureCount) {
      assert.unreachable(`${failureCount} oracle failures (seed ${SEED}; replay with FUZZ_SEED=${SEED} FUZZ_N=${failures[0]!.i + 1}):\n${report}`);
    }
  } finally {
    await gate.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

function summary(tallies: Map<string, Tally>, ms: number, admits: number, illTypedErrors: number): string {
  const rows = [...tallies].map(([gen, t]) => {
    const reasons = [...t.reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
    const extra = [t.noncanonical ? `noncanonical ${t.noncanonical}` : '', t.threw ? `evaluate threw ${t.threw}` : ''].filter(Boolean).join(', ');
    return `  ${gen.padEnd(18)} ${String(t.n).padStart(6)}  presented ${String(t.presented).padStart(5)}  resolved ${String(t.resolved).padStart(5)}  | ${reasons}${extra ? `  [${extra}]` : ''}`;
  });
  const total = [...tallies.values()].reduce((s, t) => s + t.n, 0);
  return [
    `fuzz: ${total} inputs in ${(ms / 1000).toFixed(1)} s (${Math.round(total / (ms / 1000))}/s), ${admits} admitted, seed ${SEED}`,
    ...rows,
    illTypedErrors ? `  ill-typed inputs on which present() caught a throw: ${illTypedErrors}` : '',
  ].filter(Boolean).join('\n');
}

test.run();
