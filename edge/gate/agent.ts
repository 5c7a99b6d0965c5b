import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Scanner } from '../../hardware/scanner/port.ts';
import type { Turnstile } from '../../hardware/turnstile/port.ts';
import { readTicketCode, type TicketFacts } from '../../shared/code/ticket-code.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { decideEntry } from '../../shared/rules/decide.ts';
import { admitMessage, refusalMessage, type Refusal, type RefusalDetail } from '../../shared/rules/reasons.ts';
import type { GateConfig } from './config.ts';
import { Downlink } from './downlink.ts';
import { openGateDb } from './db/open.ts';
import { GateStore } from './store.ts';
import { Uplink } from './uplink.ts';

export interface Decision {
  admit: boolean;
  reason: Refusal | 'ok';
  /** For the visitor, in the gate's locale. */
  message: string;
  /** The same in English, for staff and logs. */
  messageEn: string;
  persons: number;
  /** Person-entries left after this one; null for unlimited tickets. */
  remaining: number | null;
  ticketId?: string;
  at: number;
  /** Time spent deciding and writing the entry, microseconds. */
  micros: number;
}

export interface GateDeps {
  turnstile: Turnstile;
  scanner: Scanner;
  log: Logger;
  now?: () => number;
}

/** Digits and letters a barcode or card UID reader gives; anything else is not a credential. */
const CACHE_CREDENTIAL = /^[0-9A-Za-z]{4,40}$/;

/**
 * The gate: decides locally, always, from the signed code and its SQLite cache. The network
 * only moves data in and out of that cache (Downlink pulls, Uplink uploads the outbox).
 */
export class GateAgent {
  readonly store: GateStore;
  private readonly downlink: Downlink;
  private readonly uplink: Uplink;
  private readonly now: () => number;
  private passage: Promise<unknown> = Promise.resolve();
  private readonly onCode = ({ text }: { text: string }) => void this.present(text);
  readonly stats = { admitted: 0, refused: 0 };
  lastDecision: Decision | undefined;

  constructor(readonly config: GateConfig, private readonly deps: GateDeps) {
    this.now = deps.now ?? Date.now;
    this.store = new GateStore(openGateDb(`${config.dataDir}/gate.sqlite`));
    const log = deps.log;
    this.downlink = new Downlink({
      store: this.store, cloudUrl: config.cloudUrl, site: config.site, intervalMs: config.pullIntervalMs,
      log: log.child('downlink'), now: this.now,
    });
    this.uplink = new Uplink({
      store: this.store, url: config.mqttUrl, site: config.site, device: config.device, batchSize: config.batchSize,
      ackTimeoutMs: config.ackTimeoutMs, log: log.child('uplink'), now: this.now,
      onConnect: () => void this.downlink.pull(), onNotify: () => void this.downlink.pull(),
    });
  }

  async start(): Promise<void> {
    await this.deps.turnstile.start();
    await this.deps.scanner.start();
    this.deps.scanner.on('code', this.onCode);
    this.downlink.start();
    this.uplink.start();
    this.deps.log.info({ device: this.config.device, lane: this.config.lane, outbox: this.store.outboxSize() }, 'gate started');
  }

  async stop(): Promise<void> {
    this.deps.scanner.off('code', this.onCode);
    await this.uplink.stop();
    await this.downlink.stop();
    await this.passage.catch(() => undefined);
    await this.deps.scanner.stop();
    await this.deps.turnstile.stop();
    this.store.db.$client.close();
  }

  /** Pulls the change log now (also runs on a timer and on every doorbell). */
  sync(): Promise<void> { return this.downlink.pull(); }

  get link() {
    return {
      connected: this.uplink.connected, outbox: this.store.outboxSize(), checkpoint: this.store.checkpoint(),
      lastPullAt: this.downlink.lastPullAt, pullError: this.downlink.lastError,
    };
  }

  /** A credential was presented. Never throws: every input gets a verdict with a reason. */
  async present(text: string, persons?: number): Promise<Decision> {
    const t0 = performance.now();
    let d: Decision;
    try {
      d = this.decide(text, persons, t0);
    } catch (err) {
      this.deps.log.error({ err }, 'decision failed');
      d = this.refuse('malformed', {}, t0);
    }
    this.lastDecision = d;
    if (d.admit) {
      this.stats.admitted++;
      // Leaves open after the entry is durable; one group at a time.
      this.passage = this.passage.then(() => this.deps.turnstile.open('in', d.persons)).catch((err) => {
        this.deps.log.error({ err: (err as Error).message }, 'turnstile failed');
      });
    } else this.stats.refused++;
    this.deps.log.info({ admit: d.admit, reason: d.reason, ticket: d.ticketId, persons: d.persons, us: d.micros }, 'decision');
    return d;
  }

  private decide(text: string, persons: number | undefined, t0: number): Decision {
    const facts = this.resolve(text);
    if ('refusal' in facts) return this.refuse(facts.refusal, {}, t0);
    const now = this.now();
    const verdict = decideEntry({
      facts, revoked: this.store.revokedReason(facts.ticketId), consumed: this.store.consumed(facts.ticketId), persons, now,
    });
    if (!verdict.admit) return this.refuse(verdict.reason, verdict.detail, t0, facts.ticketId);
    const offset = Number(this.store.meta('clock_offset') ?? 0);
    this.store.recordEntry({
      nonce: randomUUID(), ticketId: facts.ticketId, device: this.config.device, lane: this.config.lane,
      direction: 'in', kind: 'normal', persons: verdict.persons, deviceTime: now, correctedTime: now + offset,
    });
    this.uplink.pump();
    return {
      admit: true, reason: 'ok', message: admitMessage(verdict.persons, verdict.remaining, this.config.locale),
      messageEn: admitMessage(verdict.persons, verdict.remaining, 'en'),
      persons: verdict.persons, remaining: verdict.remaining, ticketId: facts.ticketId, at: now,
      micros: Math.round((performance.now() - t0) * 1000),
    };
  }

  /** Signed code first (needs no sync); otherwise a credential the cache knows. */
  private resolve(text: string): TicketFacts | { refusal: Refusal } {
    const code = readTicketCode(text, this.store.keyring);
    if (code.ok) return code.facts;
    if (code.reason !== 'malformed') return { refusal: code.reason };
    const clean = text.trim();
    if (!CACHE_CREDENTIAL.test(clean)) return { refusal: 'malformed' };
    const ticketId = this.store.ticketByCredential('barcode', clean) ?? this.store.ticketByCredential('card', clean.toUpperCase());
    const ticket = ticketId ? this.store.ticket(ticketId) : undefined;
    return ticket ?? { refusal: 'unknown' };
  }

  private refuse(reason: Refusal, detail: RefusalDetail, t0: number, ticketId?: string): Decision {
    const d = { ...detail, tz: this.config.timeZone };
    return {
      admit: false, reason, message: refusalMessage(reason, d, this.config.locale), messageEn: refusalMessage(reason, d, 'en'),
      persons: 0, remaining: null, ticketId, at: this.now(), micros: Math.round((performance.now() - t0) * 1000),
    };
  }
}
