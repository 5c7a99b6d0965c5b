import { deviceUsername, type DeviceCredential } from '../../shared/auth/device.ts';
import { fetchTrusting } from '../../shared/net/fetch.ts';
import { readCa } from '../../shared/net/tls.ts';
import { performance } from 'node:perf_hooks';
import { SimDisplay } from '../../hardware/display/sim.ts';
import { SimIndicator } from '../../hardware/indicator/sim.ts';
import type { Scanner } from '../../hardware/scanner/port.ts';
import type { PassageEvent, Turnstile } from '../../hardware/turnstile/port.ts';
import { SimVoice } from '../../hardware/voice/sim.ts';
import { readTicketCode, type TicketFacts } from '../../shared/code/ticket-code.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { classifyText, normaliseCredential, type Credential, type CredentialKind } from '../../shared/rules/credential.ts';
import { decideEntry, grantAt, type Verdict } from '../../shared/rules/decide.ts';
import { laneRules, type EntryKind, type LaneRules, type Mode } from '../../shared/rules/model.ts';
import { admitMessage, refusalMessage, type Refusal, type RefusalDetail } from '../../shared/rules/reasons.ts';
import { topics, type CommandRequest, type CommandResponse, type DesiredMode, type EntryRecord, type LaneStatus } from '../../shared/sync/messages.ts';
import { addDays, businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { GateConfig } from './config.ts';
import { Downlink } from './downlink.ts';
import { openGateDb } from './db/open.ts';
import { join } from 'node:path';
import { loadOrCreateKey } from '../../shared/face/seal.ts';
import { FACE_REFUSAL, type FaceVerifier } from './face.ts';
import { Feedback, type FeedbackPorts } from './feedback.ts';
import { Link } from './link.ts';
import { GateStore } from './store.ts';

export interface Decision {
  admit: boolean;
  reason: Refusal | 'ok';
  /** How the passage is logged: normal and reentry count as entries, exit lets out, emergency is free. */
  kind?: EntryKind;
  /** For the visitor, in the gate's locale. */
  message: string;
  /** The same in English, for staff and logs. */
  messageEn: string;
  persons: number;
  /** Person-entries left after this one; null for unlimited tickets. */
  remaining: number | null;
  ticketId?: string;
  credential?: CredentialKind;
  at: number;
  /** Time spent deciding and writing the entry, microseconds. */
  micros: number;
}

export interface PresentOptions {
  direction?: 'in' | 'out';
  /** Persons passing now (a group in parts); default: all the ticket admits. */
  persons?: number;
}

export interface GateDeps extends Partial<FeedbackPorts> {
  turnstile: Turnstile;
  scanner: Scanner;
  face?: FaceVerifier;
  /** Restarts the device (the `reboot` command); without it, reboot commands are rejected. */
  reboot?: () => void;
  log: Logger;
  now?: () => number;
}

type Resolved = { facts: TicketFacts; credential: CredentialKind } | { refusal: Refusal; credential?: CredentialKind };

/**
 * The gate: decides locally, always, from the signed code and its SQLite cache, through the
 * shared rule engine. The network only moves data in and out of that cache (Downlink pulls
 * the change log; Link uploads the outbox, hears the doorbell, modes and sibling gates).
 */
export class GateAgent {
  readonly store: GateStore;
  private readonly downlink: Downlink;
  private readonly link: Link;
  private readonly wanFetch: ReturnType<typeof fetchTrusting>;
  private readonly feedback: Feedback;
  private readonly now: () => number;
  private passage: Promise<unknown> = Promise.resolve();
  private day = { start: 0, end: 0 };
  private localEmergency = false;
  private applied: Mode | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastError: string | null = null;
  readonly counters = { admitted: 0, refused: 0, passed: 0, returned: 0, forced: 0 };
  lastDecision: Decision | undefined;
  private readonly defaultLane: LaneRules;

  private readonly onCode = ({ text }: { text: string }) => void this.present(text);
  private readonly onPassage = (e: PassageEvent) => this.passed(e);
  /** The turnstile controller's alarm (forced passage, tamper, jammed leaf): reported at once, in the lane status. */
  private readonly onAlarm = ({ active }: { active: boolean }) => {
    this.deps.log.warn({ active }, 'turnstile alarm');
    if (active) this.lastError = 'turnstile alarm';
    else if (this.lastError === 'turnstile alarm') this.lastError = null;
    this.scheduleStatus();
  };
  private readonly onEmergencyInput = ({ active }: { active: boolean }) => {
    this.localEmergency = active;
    this.deps.log.warn({ active }, 'local emergency input');
    this.applyMode();
  };

  constructor(readonly config: GateConfig, private readonly deps: GateDeps) {
    this.now = deps.now ?? Date.now;
    this.defaultLane = laneRules.parse({ lane: config.lane });
    // Faces from the change log are sealed with this gate's own key, made on first need.
    this.store = new GateStore(openGateDb(`${config.dataDir}/gate.sqlite`), { faceKey: () => loadOrCreateKey(join(config.dataDir, 'face.key')) });
    const log = deps.log;
    this.feedback = new Feedback({
      indicator: deps.indicator ?? new SimIndicator(), display: deps.display ?? new SimDisplay(), voice: deps.voice ?? new SimVoice(),
    }, config.locale, log.child('feedback'));
    // A site CA (config `ca`) for https:// and mqtts://: HQ or the hub is checked against it.
    const ca = config.ca ? readCa(config.ca, 'ca') : undefined;
    this.wanFetch = fetchTrusting(ca);
    this.downlink = new Downlink({
      store: this.store, cloudUrl: config.cloudUrl, site: config.site, device: config.device, intervalMs: config.pullIntervalMs, fetch: this.wanFetch,
      credential: this.credential(config), venues: config.venues, log: log.child('downlink'), now: this.now, onDesired: (d) => this.desired(d),
    });
    this.link = new Link({
      store: this.store, url: config.mqttUrl, site: config.site, device: config.device, batchSize: config.batchSize,
      credential: this.credential(config), resendHorizonMs: config.resendHorizonHours * 3_600_000,
      ackTimeoutMs: config.ackTimeoutMs, uplinkKbps: config.uplinkKbps, log: log.child('link'), now: this.now, ca,
      handlers: {
        onConnect: () => {
          void this.downlink.pull();
          this.report();
        },
        onNotify: () => void this.downlink.pull(),
        onDesired: (d) => this.desired(d),
        onSiblingEntries: (device, entries) => this.store.addSiblingEntries(device, entries),
        onCommand: (req) => void this.command(req),
      },
    });
  }

  async start(): Promise<void> {
    const { turnstile, scanner } = this.deps;
    await turnstile.start();
    await scanner.start();
    await this.feedback.start();
    await this.deps.face?.start?.(this.store, { prompt: (p) => this.feedback.prompt(p) });
    scanner.on('code', this.onCode);
    turnstile.on('passage', this.onPassage);
    turnstile.on('emergency', this.onEmergencyInput);
    turnstile.on('alarm', this.onAlarm);
    turnstile.on('error', (err) => {
      this.lastError = err.message;
      this.scheduleStatus();
    });
    this.applyMode(); // the last known desired state, before any network
    this.downlink.start();
    this.link.start();
    this.heartbeat = setInterval(() => this.scheduleStatus(), this.config.heartbeatMs);
    this.deps.log.info({ device: this.config.device, lane: this.config.lane, mode: this.mode, outbox: this.store.outboxSize() }, 'gate started');
  }

  async stop(): Promise<void> {
    const { turnstile, scanner } = this.deps;
    clearTimeout(this.statusTimer);
    clearInterval(this.heartbeat);
    scanner.off('code', this.onCode);
    turnstile.off('passage', this.onPassage);
    turnstile.off('emergency', this.onEmergencyInput);
    turnstile.off('alarm', this.onAlarm);
    await this.link.stop();
    await this.downlink.stop();
    await this.wanFetch.close();
    await this.passage.catch(() => undefined);
    await this.deps.face?.stop?.();
    await this.feedback.stop();
    await scanner.stop();
    await turnstile.stop();
    this.store.db.$client.close();
  }

  /** Pulls the change log now (also runs on a timer and on every doorbell). */
  sync(): Promise<void> { return this.downlink.pull(); }

  get mode(): Mode { return this.localEmergency ? 'emergency' : this.store.desired().mode; }

  get linkState() {
    return {
      connected: this.link.connected, outbox: this.store.outboxSize(), checkpoint: this.store.checkpoint(),
      lastPullAt: this.downlink.lastPullAt, pullError: this.downlink.lastError,
    };
  }

  /** This lane's rules from the change log, or the defaults (an entry lane of the main venue) until synced. */
  get laneRules(): LaneRules {
    return this.store.lane(this.config.lane) ?? this.defaultLane;
  }

  /** The gate's credential at HQ (or its site hub); none in a development setup without device auth. */
  private credential(config: GateConfig): DeviceCredential | undefined {
    return config.token ? { username: deviceUsername({ role: 'gate', site: config.site, device: config.device }), token: config.token } : undefined;
  }

  status(): LaneStatus {
    const door = this.mode === 'emergency' ? 'emergency-open' : this.deps.turnstile.state.busy ? 'open' : 'closed';
    const d = this.lastDecision;
    return {
      state: 'online', at: this.now(), mode: this.mode, door, lane: this.config.lane,
      lastDecision: d ? { admit: d.admit, reason: d.reason, at: d.at } : null, error: this.lastError,
      counters: { admitted: this.counters.admitted, refused: this.counters.refused, passed: this.counters.passed, returned: this.counters.returned },
      outbox: this.store.outboxSize(), checkpoint: this.store.checkpoint(),
    };
  }

  /**
   * What the gate would decide for a credential now, without recording anything or moving
   * the leaves: resolution and the rule engine only. The hot path of every decision.
   */
  evaluate(input: string | Credential, opts: PresentOptions = {}): { verdict: Verdict; ticketId?: string; credential?: CredentialKind } {
    const resolved = this.resolve(input);
    if ('refusal' in resolved) return { verdict: { admit: false, reason: resolved.refusal, detail: {} }, credential: resolved.credential };
    const verdict = this.decide(resolved.facts, opts.direction ?? this.config.direction, opts.persons);
    return { verdict, ticketId: resolved.facts.ticketId, credential: resolved.credential };
  }

  /** A credential was presented. Never throws: every input gets a verdict with a reason. */
  async present(input: string | Credential, opts: PresentOptions = {}): Promise<Decision> {
    const t0 = performance.now();
    const direction = opts.direction ?? this.config.direction;
    let d: Decision;
    try {
      if (this.mode === 'emergency') {
        // No validation in an emergency: the leaves are open, the passage sensor logs who passes.
        d = this.admitted(t0, 'emergency', 0, null);
      } else {
        let { verdict, ticketId, credential } = this.evaluate(input, { ...opts, direction });
        if (verdict.admit && verdict.faceRequired) verdict = await this.checkFace(verdict, ticketId!, credential!);
        d = verdict.admit
          ? this.admit(verdict, ticketId!, direction, t0, credential!)
          : this.refuse(verdict.reason, verdict.detail, t0, ticketId, credential);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'decision failed');
      d = this.refuse('malformed', {}, t0);
    }
    return this.decided(d);
  }

  /**
   * Entry by face alone (members, annual cards): the verifier finds whose ticket the face in
   * front of the camera is bound to (1:N, offline, among the faces this gate holds), then the
   * ticket goes through the rule engine like any other credential, for one person.
   */
  async presentFace(opts: PresentOptions = {}): Promise<Decision> {
    const t0 = performance.now();
    const direction = opts.direction ?? this.config.direction;
    let d: Decision;
    try {
      const identify = this.deps.face?.identify?.bind(this.deps.face);
      const found = this.mode === 'emergency' || !identify ? undefined : await identify().catch(() => ({ result: 'unavailable' as const }));
      if (this.mode === 'emergency') d = this.admitted(t0, 'emergency', 0, null);
      else if (!found) d = this.refuse('face_unavailable', {}, t0, undefined, 'face');
      else if (found.result !== 'match') d = this.refuse(FACE_REFUSAL[found.result], {}, t0, undefined, 'face');
      else {
        const facts = this.store.ticket(found.ticketId);
        let verdict: Verdict = facts ? this.decide(facts, direction, opts.persons ?? 1) : { admit: false, reason: 'unknown', detail: {} };
        if (verdict.admit && facts && this.store.typeRules(facts.typeId)?.livenessRequired) {
          const live = await this.deps.face?.live?.().catch(() => false);
          if (live !== true) verdict = { admit: false, reason: 'face_not_live', detail: {} };
        }
        d = verdict.admit ? this.admit(verdict, found.ticketId, direction, t0, 'face') : this.refuse(verdict.reason, verdict.detail, t0, found.ticketId, 'face');
      }
    } catch (err) {
      this.deps.log.error({ err }, 'face decision failed');
      d = this.refuse('face_unavailable', {}, t0, undefined, 'face');
    }
    return this.decided(d);
  }

  private decided(d: Decision): Decision {
    this.lastDecision = d;
    if (d.admit) this.counters.admitted++;
    else this.counters.refused++;
    this.feedback.decision(d);
    this.scheduleStatus();
    this.deps.log.debug(() => ({ admit: d.admit, reason: d.reason, ticket: d.ticketId, persons: d.persons, us: d.micros }), 'decision');
    return d;
  }

  /** Signed code first (needs no sync); otherwise a credential the cache knows. */
  private resolve(input: string | Credential): Resolved {
    if (typeof input === 'string') {
      const code = readTicketCode(input, this.store.keyring);
      if (code.ok) return { facts: code.facts, credential: 'code' };
      if (code.reason !== 'malformed') return { refusal: code.reason, credential: 'code' };
      const c = classifyText(input);
      if (!c || c.kind === 'code') return { refusal: 'malformed' };
      input = c;
    }
    // Readers are drivers, and drivers have bugs: check the shape before trusting it.
    if (typeof input !== 'object' || input === null || typeof input.value !== 'string' || input.value.length > 64) return { refusal: 'malformed' };
    if (input.kind === 'code') return this.resolve(input.value);
    if (input.kind !== 'barcode' && input.kind !== 'card' && input.kind !== 'idcard') return { refusal: 'malformed' };
    const store = this.store;
    const value = normaliseCredential(input.kind, input.value);
    let ticketId = store.ticketByCredential(input.kind, value);
    // A card UID of digits only reads like a barcode when typed: try cards too.
    if (!ticketId && input.kind === 'barcode') ticketId = store.ticketByCredential('card', value.toUpperCase());
    const facts = ticketId ? store.ticket(ticketId) : undefined;
    return facts ? { facts, credential: input.kind } : { refusal: 'unknown', credential: input.kind };
  }

  private decide(facts: TicketFacts, direction: 'in' | 'out', persons: number | undefined): Verdict {
    const now = this.now();
    const type = this.store.typeRules(facts.typeId);
    const lane = this.laneRules;
    // Consumption matters only where entries are counted; otherwise today's passages are enough.
    const counted = grantAt(facts, type, lane.venue) !== 0 || type?.venues !== undefined;
    const history = this.store.history(facts.ticketId, counted ? undefined : this.dayStart(now));
    return decideEntry({
      facts, type, lane, direction, mode: this.mode, revoked: this.store.revokedReason(facts.ticketId), history,
      persons, now, tz: this.config.timeZone, siteLanes: this.store.lanes,
    });
  }

  private async checkFace(verdict: Verdict, ticketId: string, credential: CredentialKind): Promise<Verdict> {
    const typeId = this.store.ticket(ticketId)?.typeId;
    const liveness = typeId !== undefined && this.store.typeRules(typeId)?.livenessRequired === true;
    const result = this.deps.face ? await this.deps.face.verify({ ticketId, credential, liveness }).catch(() => 'unavailable' as const) : 'unavailable';
    return result === 'match' ? verdict : { admit: false, reason: FACE_REFUSAL[result], detail: {} };
  }

  private admit(v: Extract<Verdict, { admit: true }>, ticketId: string, direction: 'in' | 'out', t0: number, credential: CredentialKind): Decision {
    const now = this.now();
    const entry = this.store.recordEntry(this.entry({ ticketId, persons: v.persons, venue: v.venue, direction, kind: v.kind }, now));
    this.link.pump();
    const d = this.admitted(t0, v.kind, v.persons, v.remaining, ticketId, credential);
    this.release(entry);
    return d;
  }

  private admitted(t0: number, kind: EntryKind, persons: number, remaining: number | null, ticketId?: string, credential?: CredentialKind): Decision {
    const k = kind === 'return' ? 'normal' : kind;
    return {
      admit: true, reason: 'ok', kind, message: admitMessage(persons, remaining, this.config.locale, k),
      messageEn: admitMessage(persons, remaining, 'en', k), persons, remaining, ticketId, credential, at: this.now(),
      micros: Math.round((performance.now() - t0) * 1000),
    };
  }

  private refuse(reason: Refusal, detail: RefusalDetail, t0: number, ticketId?: string, credential?: CredentialKind): Decision {
    const dd = { ...detail, tz: this.config.timeZone };
    return {
      admit: false, reason, message: refusalMessage(reason, dd, this.config.locale), messageEn: refusalMessage(reason, dd, 'en'),
      persons: 0, remaining: null, ticketId, credential, at: this.now(), micros: Math.round((performance.now() - t0) * 1000),
    };
  }

  private entry(e: Pick<EntryRecord, 'ticketId' | 'persons' | 'venue' | 'direction' | 'kind'>, now: number): Omit<EntryRecord, 'nonce'> & { device: string } {
    const offset = Number(this.store.meta('clock_offset') ?? 0);
    return { device: this.config.device, lane: this.config.lane, deviceTime: now, correctedTime: now + offset, ...e };
  }

  /**
   * Opens the leaves for the admitted persons, one group at a time, after the entry is
   * durable. Passages nobody used before the timeout are given back as a `return` entry.
   */
  private release(entry: EntryRecord): void {
    const timeout = this.config.passTimeoutMs * (this.laneRules.accessible ? 2 : 1);
    this.passage = this.passage.then(async () => {
      const { passed } = await this.deps.turnstile.open(entry.direction, entry.persons, timeout);
      const unused = entry.persons - passed;
      if (unused > 0 && (entry.kind === 'normal' || entry.kind === 'reentry')) {
        this.store.recordEntry(this.entry({ ticketId: entry.ticketId, persons: unused, venue: entry.venue, direction: entry.direction, kind: 'return' }, this.now()));
        this.counters.returned += unused;
        this.link.pump();
        this.scheduleStatus();
      }
    }).catch((err: Error) => {
      this.lastError = `turnstile: ${err.message}`;
      this.deps.log.error({ err: err.message }, 'turnstile failed');
      this.scheduleStatus();
    });
  }

  private passed(e: PassageEvent): void {
    if (e.authorized) this.counters.passed++;
    else if (this.mode === 'emergency') {
      this.store.recordEntry(this.entry({ ticketId: null, persons: 1, venue: this.laneRules.venue, direction: e.direction ?? 'in', kind: 'emergency' }, this.now()));
      this.link.pump();
    } else {
      this.counters.forced++;
      this.lastError = 'forced passage';
      this.deps.log.warn({ direction: e.direction }, 'passage without release (tailgating or forced)');
    }
    this.scheduleStatus();
  }

  /**
   * Runs a command from HQ at most once, and never after its expiry (judged on HQ's clock
   * through the learned offset). Answers twice: accepted (or expired / rejected), then
   * done or failed. A command seen before gets its recorded answer again, and does not run.
   */
  private async command(req: CommandRequest): Promise<void> {
    const topic = topics.cmdRes(this.config.site, this.config.device);
    const answer = (status: CommandResponse['status'], detail?: string) => {
      this.store.setCommand(req.id, req.name, status, detail ?? null, this.now());
      this.link.publishUrgent(topic, { id: req.id, status, detail, at: this.now() } satisfies CommandResponse);
    };
    const seen = this.store.command(req.id);
    if (seen) {
      this.link.publishUrgent(topic, { id: req.id, status: seen.status as CommandResponse['status'], detail: seen.detail ?? undefined, at: this.now() });
      return;
    }
    const hqNow = this.now() + Number(this.store.meta('clock_offset') ?? 0);
    if (hqNow > req.expiresAt) return answer('expired', `expired ${Math.round((hqNow - req.expiresAt) / 1000)} s ago`);
    if (req.name === 'reboot' && !this.deps.reboot) return answer('rejected', 'reboot is not supported on this device');
    answer('accepted');
    this.deps.log.info({ id: req.id, name: req.name }, 'command');
    try {
      if (req.name === 'open-once') {
        const { passed } = await this.deps.turnstile.open('in', 1, this.config.passTimeoutMs);
        answer('done', `passed ${passed}`);
      } else if (req.name === 'sync-now') {
        await this.downlink.pull();
        answer('done', `checkpoint ${this.store.checkpoint()}`);
      } else {
        answer('done');
        setTimeout(() => this.deps.reboot?.(), 200);
      }
    } catch (err) {
      answer('failed', (err as Error).message.slice(0, 200));
    }
  }

  private desired(d: DesiredMode): void {
    if (this.store.offerDesired(d)) {
      this.deps.log.info({ mode: d.mode, version: d.version }, 'desired mode');
      this.applyMode();
    }
  }

  /** Brings the turnstile and feedback in line with the mode in force, and reports it. */
  private applyMode(): void {
    const mode = this.mode;
    if (mode !== this.applied) {
      this.applied = mode;
      this.deps.turnstile.setEmergencyOpen(mode === 'emergency').catch((err: Error) => {
        this.lastError = `turnstile: ${err.message}`;
      });
      this.feedback.mode(mode);
    }
    this.report();
  }

  private report(): void {
    const d = this.store.desired();
    this.link.publishReported({ mode: this.mode, version: d.version, source: this.localEmergency ? 'local-emergency' : 'remote', at: this.now() });
    this.scheduleStatus();
  }

  /** Live lane status, at most a few times a second. */
  private scheduleStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.link.publishStatus(this.status());
    }, 200);
  }

  private dayStart(now: number): number {
    if (now < this.day.start || now >= this.day.end) {
      const day = businessDay(now, this.config.timeZone);
      this.day = { start: startOfBusinessDay(day, this.config.timeZone), end: startOfBusinessDay(addDays(day, 1), this.config.timeZone) };
    }
    return this.day.start;
  }
}
