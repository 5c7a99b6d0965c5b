import { join } from 'node:path';
import { fetchTrusting } from '../../shared/net/fetch.ts';
import { readCa } from '../../shared/net/tls.ts';
import { performance } from 'node:perf_hooks';
import { SimDisplay } from '../../hardware/display/sim.ts';
import { SimIndicator } from '../../hardware/indicator/sim.ts';
import type { Scanner } from '../../hardware/scanner/port.ts';
import type { PassageEvent, Turnstile } from '../../hardware/turnstile/port.ts';
import { SimVoice } from '../../hardware/voice/sim.ts';
import { deviceUsername, type DeviceCredential } from '../../shared/auth/device.ts';
import type { TicketFacts } from '../../shared/code/ticket-code.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Credential, CredentialKind } from '../../shared/rules/credential.ts';
import type { Verdict } from '../../shared/rules/decide.ts';
import { laneRules, type EntryKind, type LaneRules, type Mode } from '../../shared/rules/model.ts';
import { admitKind, admitMessage, choiceNote, loadNote, refusalMessage, type Refusal, type RefusalDetail } from '../../shared/rules/reasons.ts';
import { type LaneStatus } from '../../shared/sync/messages.ts';
import { topics } from '../../shared/sync/topics.ts';
import { loadOrCreateKey } from '../../shared/face/seal.ts';
import { loadLevel, type LoadLevel } from '../../shared/rules/capacity.ts';
import { businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import { CommandRunner } from './commands.ts';
import type { GateConfig } from './config.ts';
import { openGateDb } from './db/open.ts';
import { Downlink } from './downlink.ts';
import { FACE_REFUSAL, type FaceVerifier } from './face.ts';
import { FINGER_REFUSAL, FingerCheck } from './finger.ts';
import type { FingerprintReader, Outcome } from '../../hardware/fingerprint/port.ts';
import { Feedback, type FeedbackPorts } from './feedback.ts';
import { Link } from './link.ts';
import { GateMode } from './mode.ts';
import { Passages } from './passages.ts';
import { Decider } from './resolve.ts';
import { Siblings } from './siblings.ts';
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
  /** The ticket decided on (of several, when the credential stands for more: see `among`). */
  ticketId?: string;
  /** How many tickets the credential stood for (an ID card holding several). */
  among?: number;
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
  /** A fingerprint module (hardware/fingerprint, watch mode): 1:1 after a credential, 1:N alone. */
  fingerprint?: FingerprintReader;
  /** Restarts the device (the `reboot` command); without it, reboot commands are rejected. */
  reboot?: () => void;
  log: Logger;
  now?: () => number;
}

type Evaluated = { verdict: Verdict; ticketId?: string; credential?: CredentialKind; among?: number; facts?: TicketFacts };

/** Credentials of tickets that ended are dropped from the cache this often. */
const PURGE_MS = 3_600_000;

/**
 * The gate: decides locally, always, from the signed code and its SQLite cache, through the
 * shared rule engine. Its parts each do one thing: resolve and decide (Decider), record and
 * release (Passages), the mode as target vs current (GateMode), commands (CommandRunner),
 * siblings' entries (Siblings). The network only moves data in and out of the cache
 * (Downlink pulls the change log; Link uploads the outbox, hears the doorbell, modes and
 * siblings).
 */
export class GateAgent {
  readonly store: GateStore;
  private readonly downlink: Downlink;
  private readonly link: Link;
  private readonly wanFetch: ReturnType<typeof fetchTrusting>;
  private readonly feedback: Feedback;
  private readonly decider: Decider;
  private readonly passages: Passages;
  private readonly modes: GateMode;
  private readonly commands: CommandRunner;
  private readonly siblings: Siblings;
  private readonly now: () => number;
  private statusTimer: NodeJS.Timeout | undefined;
  /** What mattered in the last status sent (see scheduleStatus), and whether the next must go anyway. */
  private statusSent: string | undefined;
  private statusForced = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private lastError: string | null = null;
  private readonly decided = { admitted: 0, refused: 0 };
  lastDecision: Decision | undefined;
  private readonly defaultLane: LaneRules;
  private readonly finger: FingerCheck | undefined;

  private readonly onCode = ({ text }: { text: string }) => void this.present(text);
  private readonly onPassage = (e: PassageEvent) => this.passages.sensed(e, this.mode === 'emergency');
  /** The turnstile controller's alarm (forced passage, tamper, jammed leaf): reported at once, in the lane status. */
  private readonly onAlarm = ({ active }: { active: boolean }) => {
    this.deps.log.warn({ active }, 'turnstile alarm');
    if (active) this.lastError = 'turnstile alarm';
    else if (this.lastError === 'turnstile alarm') this.lastError = null;
    this.scheduleStatus();
  };
  private readonly onEmergencyInput = ({ active }: { active: boolean }) => this.modes.setLocalEmergency(active);
  private readonly onTurnstileError = (err: Error) => this.changed(err.message);

  constructor(readonly config: GateConfig, private readonly deps: GateDeps) {
    this.now = deps.now ?? Date.now;
    this.defaultLane = laneRules.parse({ lane: config.lane });
    // Faces from the change log are sealed with this gate's own key, made on first need.
    this.store = new GateStore(openGateDb(`${config.dataDir}/gate.sqlite`), { faceKey: () => loadOrCreateKey(join(config.dataDir, 'face.key')) });
    const { log } = deps;
    const store = this.store;
    this.feedback = new Feedback({
      indicator: deps.indicator ?? new SimIndicator(), display: deps.display ?? new SimDisplay(), voice: deps.voice ?? new SimVoice(),
    }, config.locale, log.child('feedback'));
    this.decider = new Decider(store, config.timeZone);
    this.finger = deps.fingerprint && new FingerCheck({
      reader: deps.fingerprint, store, nowS: () => Math.floor(this.now() / 1000), waitMs: config.fingerWaitMs,
      prompt: (p) => this.feedback.prompt(p), onPressAlone: (p) => void this.presentFinger(p), log: log.child('finger'),
    });
    // A site CA (config `ca`) for https:// and mqtts://: HQ or the hub is checked against it.
    const ca = config.ca ? readCa(config.ca, 'ca') : undefined;
    this.wanFetch = fetchTrusting(ca);
    this.downlink = new Downlink({
      store, cloudUrl: config.cloudUrl, site: config.site, device: config.device, intervalMs: config.pullIntervalMs, fetch: this.wanFetch,
      credential: this.credential(config), venues: config.venues, log: log.child('downlink'), now: this.now, onDesired: (d) => this.modes.offer(d),
    });
    this.link = new Link({
      store, url: config.mqttUrl, site: config.site, device: config.device, batchSize: config.batchSize, catchupBatchSize: config.catchupBatchSize,
      credential: this.credential(config), resendHorizonMs: config.resendHorizonHours * 3_600_000,
      ackTimeoutMs: config.ackTimeoutMs, uplinkKbps: config.uplinkKbps, log: log.child('link'), now: this.now, ca,
      coalesceMs: config.coalesceMs, liveSiblings: config.liveSiblings, pubackTimeoutMs: config.pubackTimeoutMs, keepaliveS: config.keepaliveS, mqttVersion: config.mqttVersion,
      handlers: {
        onConnect: () => {
          void this.downlink.pull();
          this.modes.report();
          this.scheduleStatus(true);
        },
        onNotify: () => void this.downlink.pull(),
        onDesired: (d) => this.modes.offer(d),
        onSiblingEntries: (device, entries) => this.siblings.heard(device, entries),
        onCommand: (req) => void this.commands.handle(req),
      },
    });
    this.passages = new Passages({
      store, turnstile: deps.turnstile, device: config.device, lane: config.lane, laneRules: () => this.laneRules,
      passTimeoutMs: config.passTimeoutMs, now: this.now, log, pump: (entry, seq) => this.link.entry(entry, seq), changed: (error) => this.changed(error),
    });
    this.modes = new GateMode({
      store, turnstile: deps.turnstile, feedback: this.feedback, log, now: this.now, onError: (m) => this.changed(m),
      report: (r) => {
        this.link.publishReported(r);
        this.scheduleStatus();
      },
    });
    this.commands = new CommandRunner({
      store, log, now: this.now, answer: (res) => this.link.publishUrgent(topics.cmdRes(config.site, config.device), res),
      host: {
        turnstile: deps.turnstile, passTimeoutMs: config.passTimeoutMs, pull: () => this.downlink.pull(),
        checkpoint: () => store.checkpoint(), reboot: deps.reboot,
      },
    });
    store.siteConnected = () => this.link.connected;
    this.siblings = new Siblings({ store, self: config.device, now: this.now, log: log.child('siblings') });
    store.onScopeChanged = () => {
      log.warn({ device: config.device }, 'HQ changed this gate\'s lanes: fetching the cache anew');
      void this.downlink.pull();
    };
  }

  async start(): Promise<void> {
    const { turnstile, scanner } = this.deps;
    await turnstile.start();
    await scanner.start();
    await this.feedback.start();
    await this.deps.face?.start?.(this.store, { prompt: (p) => this.feedback.prompt(p) });
    await this.finger?.start();
    scanner.on('code', this.onCode);
    turnstile.on('passage', this.onPassage);
    turnstile.on('emergency', this.onEmergencyInput);
    turnstile.on('alarm', this.onAlarm);
    turnstile.on('error', this.onTurnstileError);
    this.modes.apply(); // the last known desired state, before any network
    this.downlink.start();
    this.link.start();
    this.heartbeat = setInterval(() => this.scheduleStatus(true), this.config.heartbeatMs);
    this.purgeTimer = setInterval(() => this.store.purgeExpiredCredentials(Math.floor(this.now() / 1000) - 86_400), PURGE_MS);
    this.deps.log.info({ device: this.config.device, lane: this.config.lane, mode: this.mode, outbox: this.store.outboxSize() }, 'gate started');
  }

  async stop(): Promise<void> {
    const { turnstile, scanner } = this.deps;
    clearTimeout(this.statusTimer);
    clearInterval(this.heartbeat);
    clearInterval(this.purgeTimer);
    scanner.off('code', this.onCode);
    turnstile.off('passage', this.onPassage);
    turnstile.off('emergency', this.onEmergencyInput);
    turnstile.off('alarm', this.onAlarm);
    turnstile.off('error', this.onTurnstileError);
    await this.link.stop();
    await this.downlink.stop();
    await this.wanFetch.close();
    await this.passages.settled();
    await this.deps.face?.stop?.();
    await this.finger?.stop();
    await this.feedback.stop();
    await scanner.stop();
    await turnstile.stop();
    this.store.db.$client.close();
  }

  /** Pulls the change log now (also runs on a timer and on every doorbell). */
  sync(): Promise<void> { return this.downlink.pull(); }

  get mode(): Mode { return this.modes.target; }

  get counters() {
    return { ...this.decided, ...this.passages.counters, siblingRefused: this.siblings.refused };
  }

  get linkState() {
    return {
      connected: this.link.connected, outbox: this.store.outboxSize(), checkpoint: this.store.checkpoint(),
      lastPullAt: this.downlink.lastPullAt, pullError: this.downlink.lastError,
      /** Entry batches handed to the line, bytes, and connections dropped on a silent line, since start. */
      upBytes: this.link.upBytesSent, deadLinks: this.link.deadLinks, echoes: this.link.echoes,
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
    const c = this.counters;
    const cap = this.capacity();
    return {
      state: 'online', at: this.now(), mode: this.mode, door, lane: this.config.lane,
      lastDecision: d ? { admit: d.admit, reason: d.reason, at: d.at } : null, error: this.lastError ?? this.provisioningError(),
      counters: { admitted: c.admitted, refused: c.refused, passed: c.passed, returned: c.returned },
      outbox: this.store.outboxSize(), checkpoint: this.store.checkpoint(),
      ...(c.siblingRefused ? { siblingRefused: c.siblingRefused } : {}),
      ...(cap ? { load: { inPark: cap.inPark, capacity: cap.capacity, level: cap.level } } : {}),
    };
  }

  /**
   * How full this lane's venue is, as this gate knows it: from every passage it holds (its own
   * and its siblings'); `stale` while it does not hear its site. Undefined without a capacity.
   */
  capacity(): { venue: string; inPark: number; capacity: number; level: LoadLevel; stale: boolean } | undefined {
    const venue = this.laneRules.venue;
    const rules = this.store.venue(venue);
    if (rules?.capacity === undefined) return undefined;
    const now = this.now();
    const inPark = this.store.inPark(venue, startOfBusinessDay(businessDay(now, this.config.timeZone), this.config.timeZone));
    return { venue, inPark, capacity: rules.capacity, level: loadLevel(inPark, rules.capacity, rules.warnPercent), stale: !this.link.connected };
  }

  /** HQ's record of this gate, once pulled, must list the lane it is configured for: its entries are refused otherwise. */
  private provisioningError(): string | null {
    const me = this.store.device(this.config.device);
    if (!me || me.lanes.includes(this.config.lane)) return null;
    return `通道 ${this.config.lane} 未登记给本设备 / lane ${this.config.lane} is not provisioned for this device (HQ: ${me.lanes.join(', ') || 'none'})`;
  }

  /**
   * What the gate would decide for a credential now, without recording anything or moving
   * the leaves: resolution and the rule engine only. The hot path of every decision.
   */
  evaluate(input: string | Credential, opts: PresentOptions = {}): Evaluated {
    const resolved = this.decider.resolve(input);
    if ('refusal' in resolved) return { verdict: { admit: false, reason: resolved.refusal, detail: {} }, credential: resolved.credential };
    return { ...this.decide(resolved.tickets, opts), credential: resolved.credential };
  }

  private decide(tickets: readonly TicketFacts[], opts: PresentOptions): Omit<Evaluated, 'credential'> {
    const pick = this.decider.decide(tickets, {
      lane: this.laneRules, direction: opts.direction ?? this.config.direction, mode: this.mode, persons: opts.persons, now: this.now(),
    });
    return { verdict: pick.verdict, ticketId: pick.chosen.facts.ticketId, among: pick.among, facts: pick.chosen.facts };
  }

  /** A credential was presented. Never throws: every input gets a verdict with a reason. */
  async present(input: string | Credential, opts: PresentOptions = {}): Promise<Decision> {
    const t0 = performance.now();
    const direction = opts.direction ?? this.config.direction;
    let d: Decision;
    try {
      let e = this.evaluate(input, { ...opts, direction });
      if (this.mode === 'emergency' && !e.verdict.admit) {
        // Nobody is held in an emergency, whatever they show: the passage is logged all the same.
        e = { verdict: { admit: true, kind: 'emergency', venue: this.laneRules.venue, persons: 1, remaining: null, faceRequired: false }, credential: e.credential };
      }
      if (e.verdict.admit && e.verdict.faceRequired) e = { ...e, verdict: await this.checkFace(e.verdict, e.ticketId!, e.credential!) };
      // A ticket with a fingerprint bound (held here) is its holder's only: the finger follows the credential.
      if (e.verdict.admit && e.verdict.kind !== 'emergency' && e.ticketId && this.finger?.holds(e.ticketId)) {
        const result = await this.finger.verify(e.ticketId).catch(() => 'unavailable' as const);
        if (result !== 'match') e = { ...e, verdict: { admit: false, reason: FINGER_REFUSAL[result], detail: {} } };
      }
      d = this.conclude(e, direction, t0);
    } catch (err) {
      this.deps.log.error({ err }, 'decision failed');
      d = this.refused('malformed', {}, t0);
    }
    return this.shown(d);
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
      const emergency = this.mode === 'emergency';
      const found = emergency || !identify ? undefined : await identify().catch(() => ({ result: 'unavailable' as const }));
      if (emergency) d = this.conclude({ verdict: { admit: true, kind: 'emergency', venue: this.laneRules.venue, persons: 1, remaining: null, faceRequired: false }, credential: 'face' }, direction, t0);
      else if (!found) d = this.refused('face_unavailable', {}, t0, undefined, 'face');
      else if (found.result !== 'match') d = this.refused(FACE_REFUSAL[found.result], {}, t0, undefined, 'face');
      else {
        const facts = this.store.ticket(found.ticketId);
        let e: Evaluated = facts ? { ...this.decide([facts], { direction, persons: opts.persons ?? 1 }), credential: 'face' } : { verdict: { admit: false, reason: 'unknown', detail: {} }, ticketId: found.ticketId, credential: 'face' };
        // A ticket type that asks for liveness: the face must move like a live one (not a photo held up).
        if (e.verdict.admit && facts && this.store.typeRules(facts.typeId)?.livenessRequired) {
          const live = await this.deps.face?.live?.().catch(() => false);
          if (live !== true) e = { ...e, verdict: { admit: false, reason: 'face_not_live', detail: {} } };
        }
        d = this.conclude(e, direction, t0);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'face decision failed');
      d = this.refused('face_unavailable', {}, t0, undefined, 'face');
    }
    return this.shown(d);
  }

  /**
   * Entry by finger alone: the module searches the press among the templates it holds (1:N),
   * then the ticket goes through the rule engine like any other credential, for one person.
   * Called for each press no credential waits for.
   */
  async presentFinger(press: Outcome, opts: PresentOptions = {}): Promise<Decision> {
    const t0 = performance.now();
    const direction = opts.direction ?? this.config.direction;
    let d: Decision;
    try {
      const found = this.finger ? await this.finger.identify(press).catch(() => ({ result: 'unavailable' as const })) : { result: 'unavailable' as const };
      if (this.mode === 'emergency') d = this.conclude({ verdict: { admit: true, kind: 'emergency', venue: this.laneRules.venue, persons: 1, remaining: null, faceRequired: false }, credential: 'finger' }, direction, t0);
      else if (found.result !== 'match') d = this.refused(FINGER_REFUSAL[found.result], {}, t0, undefined, 'finger');
      else {
        const facts = this.store.ticket(found.ticketId);
        const e: Evaluated = facts ? { ...this.decide([facts], { direction, persons: opts.persons ?? 1 }), credential: 'finger' } : { verdict: { admit: false, reason: 'unknown', detail: {} }, ticketId: found.ticketId, credential: 'finger' };
        d = this.conclude(e, direction, t0);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'fingerprint decision failed');
      d = this.refused('finger_unavailable', {}, t0, undefined, 'finger');
    }
    return this.shown(d);
  }

  /** Records what was decided (durably, before the leaves move) and words it. */
  private conclude(e: Evaluated, direction: 'in' | 'out', t0: number): Decision {
    const v = e.verdict;
    if (!v.admit) return this.refused(v.reason, v.detail, t0, e.ticketId, e.credential, e);
    const fields = { ticketId: e.ticketId ?? null, persons: v.persons, venue: v.venue, direction };
    if (v.kind === 'emergency') this.passages.emergency(fields);
    else this.passages.admit({ ...fields, kind: v.kind });
    const k = admitKind(v.kind);
    const note = (locale: 'zh-CN' | 'en') => (e.among && e.among > 1 && e.facts ? choiceNote(e.among, e.facts.validFrom * 1000, this.config.timeZone, locale) : '')
      + loadNote(v.load?.level, locale);
    return {
      admit: true, reason: 'ok', kind: v.kind, message: admitMessage(v.persons, v.remaining, this.config.locale, k) + note(this.config.locale),
      messageEn: admitMessage(v.persons, v.remaining, 'en', k) + note('en'), persons: v.persons, remaining: v.remaining,
      ticketId: e.ticketId, among: e.among, credential: e.credential, at: this.now(), micros: Math.round((performance.now() - t0) * 1000),
    };
  }

  private refused(reason: Refusal, detail: RefusalDetail, t0: number, ticketId?: string, credential?: CredentialKind, e?: Evaluated): Decision {
    const dd = { ...detail, tz: this.config.timeZone };
    return {
      admit: false, reason, message: refusalMessage(reason, dd, this.config.locale), messageEn: refusalMessage(reason, dd, 'en'),
      persons: 0, remaining: null, ticketId, among: e?.among, credential, at: this.now(), micros: Math.round((performance.now() - t0) * 1000),
    };
  }

  private shown(d: Decision): Decision {
    this.lastDecision = d;
    if (d.admit) this.decided.admitted++;
    else this.decided.refused++;
    this.feedback.decision(d);
    this.scheduleStatus();
    this.deps.log.debug(() => ({ admit: d.admit, reason: d.reason, ticket: d.ticketId, persons: d.persons, us: d.micros }), 'decision');
    return d;
  }

  private async checkFace(verdict: Verdict, ticketId: string, credential: CredentialKind): Promise<Verdict> {
    const typeId = this.store.ticket(ticketId)?.typeId;
    const liveness = typeId !== undefined && this.store.typeRules(typeId)?.livenessRequired === true;
    const result = this.deps.face ? await this.deps.face.verify({ ticketId, credential, liveness }).catch(() => 'unavailable' as const) : 'unavailable';
    return result === 'match' ? verdict : { admit: false, reason: FACE_REFUSAL[result], detail: {} };
  }

  /** The lane status changed (with an error to show, if any). */
  private changed(error?: string): void {
    if (error) this.lastError = error;
    this.scheduleStatus();
  }

  /**
   * The lane status, at most a few times a second, and only when what HQ must hear at once
   * changed (mode, an error or alarm, the door held open) or on the heartbeat (`force`): a
   * status per scan cost more on the line than the entry itself. Counters, the last decision
   * and the backlog ride on the heartbeat; null fields are left out.
   */
  private scheduleStatus(force = false): void {
    if (force) this.statusForced = true;
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      const status = this.status();
      const matters = JSON.stringify([status.mode, status.error, status.door === 'emergency-open', status.lane]);
      if (!this.statusForced && matters === this.statusSent) return;
      this.statusForced = false;
      this.statusSent = matters;
      this.link.publishStatus(Object.fromEntries(Object.entries(status).filter(([, v]) => v !== null && v !== undefined)) as LaneStatus);
    }, 200);
  }

}
