import type { TicketFacts } from '../../../shared/rules/model.ts';
import type { EntryQuestion, Verdict } from '../../../shared/rules/decide.ts';
import type { EntryKind, LaneRules, Mode, Passage, TimeSlot, TypeRules, VenueRules } from '../../../shared/rules/model.ts';
import { pickTicket } from '../../../shared/rules/pick.ts';
import { admitKind, admitMessage, refusalMessage, type Refusal } from '../../../shared/rules/reasons.ts';
import { businessDay, DEFAULT_TZ, startOfBusinessDay } from '../../../shared/time/zone.ts';
import type { Change, ChangeBatch, EntryRecord, UpAck, UpBatch } from '../../../shared/sync/messages.ts';
import { looksLikeCode, readCode } from './code.ts';
import { all, byIndex, get, openDb, write } from './idb.ts';

/**
 * The handheld validator (无线手持检票机) in the browser: a gate without leaves. It pulls the
 * change log of its lanes with a device credential into a cache kept in IndexedDB, decides
 * every scan locally with the gates' rule engine (shared/rules pickTicket / decideEntry), keeps
 * each admission in a durable outbox, and uploads batches like a gate (the batch of
 * shared/sync/messages.ts in its JSON form, acked "up to N" by HQ).
 */
export interface DeviceSetup {
  /** HQ or the site hub, e.g. https://hq.example (the page's own origin by default). */
  base: string;
  site: string;
  device: string;
  token: string;
  /** Which of the device's lanes it checks at (the first one by default). */
  lane?: string;
}

export interface Shown {
  admit: boolean;
  reason: Refusal | 'ok' | 'manual' | 'no_camera';
  message: string;
  persons: number;
  remaining: number | null;
  ticketId?: string;
  at: number;
}

interface Snapshot {
  log?: string;
  checkpoint: number;
  credentialKey?: string;
  tickets: Record<string, { typeId: number; validFrom: number; validUntil: number; persons: number; entries: number }>;
  /** `barcode|value` -> ticket ids. */
  creds: Record<string, string[]>;
  revoked: Record<string, string>;
  types: Record<string, TypeRules>;
  lanes: Record<string, LaneRules>;
  keys: Record<string, { publicKey: string; notAfter?: number }>;
  venues: Record<string, VenueRules>;
  slots: Record<string, TimeSlot>;
  devices: Record<string, { lanes: string[]; active: boolean }>;
  mode: { all?: [number, Mode]; mine?: [number, Mode] };
}

const empty = (): Snapshot => ({ checkpoint: 0, tickets: {}, creds: {}, revoked: {}, types: {}, lanes: {}, keys: {}, venues: {}, slots: {}, devices: {}, mode: {} });

interface Stored extends EntryRecord { seq: number }
/** Another device's entry as HQ took it in (GET /api/v1/sync/entries): history here, never uploaded. */
interface Heard extends EntryRecord { device: string; receivedAt: number }

/**
 * Each poll of siblings' entries starts this far before the newest one heard: HQ's ingest
 * commits are not in received order, so an entry received a moment earlier may land later.
 * What is heard twice is kept once (by nonce).
 */
const HEAR_OVERLAP_MS = 60_000;

export class Validator {
  #db!: IDBDatabase;
  #s: Snapshot = empty();
  #epoch = '';
  #seq = 0;
  #offset = 0;
  readonly tz = DEFAULT_TZ;
  counter = { admitted: 0, refused: 0, manual: 0, persons: 0 };
  /** Siblings' entries heard (kept in the tickets' history), and HQ's time of the newest. */
  heard = { count: 0, upTo: 0 };
  lastSync: number | undefined;
  last: Shown | undefined;
  #lastTicket: string | undefined;

  constructor(readonly setup: DeviceSetup, private readonly now: () => number = Date.now) {}

  async open(): Promise<void> {
    this.#db = await openDb();
    this.#s = (await get<Snapshot>(this.#db, 'kv', 'snapshot')) ?? empty();
    this.#seq = (await get<number>(this.#db, 'kv', 'seq')) ?? 0;
    this.counter = (await get<Validator['counter']>(this.#db, 'kv', 'counter')) ?? this.counter;
    this.heard = (await get<Validator['heard']>(this.#db, 'kv', 'heard')) ?? this.heard;
    this.#epoch = (await get<string>(this.#db, 'kv', 'epoch')) ?? crypto.randomUUID();
    await write(this.#db, ['kv'], (s) => s.kv.put(this.#epoch, 'epoch'));
  }

  get synced(): boolean { return this.#s.checkpoint > 0; }
  get checkpoint(): number { return this.#s.checkpoint; }
  get ticketsHeld(): number { return Object.keys(this.#s.tickets).length; }

  /** The lanes HQ assigned this handheld (like a gate's), and the one it checks at. */
  get lanes(): string[] { return this.#s.devices[this.setup.device]?.lanes ?? []; }
  get lane(): LaneRules | undefined {
    const name = this.setup.lane && this.lanes.includes(this.setup.lane) ? this.setup.lane : this.lanes[0];
    return name ? this.#s.lanes[name] ?? { lane: name, venue: 'main' } as LaneRules : undefined;
  }

  get mode(): Mode { return (this.#s.mode.mine?.[0] ?? 0) >= (this.#s.mode.all?.[0] ?? 0) ? this.#s.mode.mine?.[1] ?? this.#s.mode.all?.[1] ?? 'normal' : this.#s.mode.all![1]; }

  async outboxSize(): Promise<number> { return (await all(this.#db, 'outbox')).length; }

  #auth(): Record<string, string> {
    return { authorization: `Basic ${btoa(`${deviceUsername(this.setup)}:${this.setup.token}`)}` };
  }

  /** Pulls the change log until caught up; each page lands in IndexedDB in one transaction. */
  async sync(): Promise<void> {
    for (let pages = 0; pages < 1000; pages++) {
      const q = new URLSearchParams({ site: this.setup.site, since: String(this.#s.checkpoint), limit: '2000' });
      if (this.#s.log) q.set('log', this.#s.log);
      const t0 = this.now();
      const res = await fetch(`${this.setup.base}/api/v1/sync/changes?${q}`, { headers: this.#auth(), cache: 'no-store' });
      if (!res.ok) throw new Error(`pull: HTTP ${res.status}`);
      const batch = await res.json() as ChangeBatch;
      this.#offset = batch.serverTime - (t0 + this.now()) / 2;
      const s: Snapshot = batch.reset || (batch.log && this.#s.log && batch.log !== this.#s.log) ? empty() : structuredClone(this.#s);
      for (const c of batch.changes) this.#apply(s, c);
      s.log = batch.log ?? s.log;
      s.checkpoint = batch.next;
      if (batch.credentialKey) s.credentialKey = batch.credentialKey;
      await write(this.#db, ['kv'], (st) => st.kv.put(s, 'snapshot'));
      this.#s = s;
      if (!batch.more) break;
    }
    this.lastSync = this.now();
  }

  #apply(s: Snapshot, c: Change): void {
    switch (c.kind) {
      case 'ticket': { const { id, ...t } = c.ticket; s.tickets[id] = t; break; }
      case 'revoke': s.revoked[c.ticketId] = c.reason; break;
      case 'key': s.keys[c.keyId] = { publicKey: c.publicKey, ...(c.notAfter !== undefined ? { notAfter: c.notAfter } : {}) }; break;
      case 'type': s.types[c.typeId] = c.rules; break;
      case 'lane': s.lanes[c.rules.lane] = c.rules; break;
      case 'venue': s.venues[c.rules.venue] = c.rules; break;
      case 'slot': if (c.slot) s.slots[c.ticketId] = c.slot; else delete s.slots[c.ticketId]; break;
      case 'device': s.devices[c.device] = { lanes: c.lanes, active: c.active }; break;
      case 'mode':
        if (c.device === '') s.mode.all = [c.seq, c.mode];
        else if (c.device === this.setup.device) s.mode.mine = [c.seq, c.mode];
        break;
      case 'credential': {
        const k = `${c.credential}|${c.value}`;
        s.creds[k] = [...new Set([...(s.creds[k] ?? []), c.ticketId])];
        break;
      }
      case 'unbind': {
        const k = `${c.credential}|${c.value}`;
        s.creds[k] = (s.creds[k] ?? []).filter((id) => id !== c.ticketId);
        if (!s.creds[k].length) delete s.creds[k];
        break;
      }
      default: break; // faces, fingerprints, bookings, templates: not for a handheld
    }
  }

  /**
   * Hears what the other devices of its site admitted at its lanes' venues (what gates hear of
   * each other on the broker), from HQ: each one joins its ticket's history, so the rule engine
   * counts it (a ticket used at a gate is used here), and stays for offline decisions.
   */
  hear(): Promise<number> {
    // One poll at a time: two would both find an entry new and count it twice.
    this.#hearing ??= this.#hear().finally(() => { this.#hearing = undefined; });
    return this.#hearing;
  }

  #hearing: Promise<number> | undefined;

  async #hear(): Promise<number> {
    let added = 0;
    let after: string | null = null;
    const since = Math.max(0, this.heard.upTo - HEAR_OVERLAP_MS);
    for (let pages = 0; pages < 100; pages++) {
      const q = new URLSearchParams({ site: this.setup.site, since: String(since), limit: '500' });
      if (after) q.set('after', after);
      const res = await fetch(`${this.setup.base}/api/v1/sync/entries?${q}`, { headers: this.#auth(), cache: 'no-store' });
      if (!res.ok) throw new Error(`siblings: HTTP ${res.status}`);
      const page = await res.json() as { items: Heard[]; next: string | null };
      const fresh: Heard[] = [];
      for (const e of page.items) if (e.device !== this.setup.device && !(await get(this.#db, 'entries', e.nonce))) fresh.push(e);
      const heard = { count: this.heard.count + fresh.length, upTo: Math.max(this.heard.upTo, ...page.items.map((e) => e.receivedAt)) };
      await write(this.#db, ['kv', 'entries'], (s) => {
        for (const e of fresh) s.entries.put(e);
        s.kv.put(heard, 'heard');
      });
      this.heard = heard;
      added += fresh.length;
      if (!page.next) break;
      after = page.next;
    }
    return added;
  }

  /** A scan (QR text or barcode): decided locally, recorded before it is shown. */
  async validate(text: string): Promise<Shown> {
    const lane = this.lane;
    let shown: Shown;
    if (!lane) shown = this.#refused('wrong_lane');
    else {
      const tickets = await this.#resolve(text);
      if (typeof tickets === 'string') shown = this.#refused(tickets);
      else {
        const now = this.now();
        const questions = await Promise.all(tickets.map((f) => this.#question(f, lane, now)));
        const pick = pickTicket(questions);
        shown = await this.#conclude(pick.verdict, pick.chosen.facts.ticketId, lane);
      }
    }
    return this.#show(shown);
  }

  /** Staff let someone through by hand, with a reason: logged, and counted as a passage of the last ticket shown. */
  async letThrough(reason: string): Promise<Shown> {
    const lane = this.lane ?? { lane: 'handheld', venue: 'main' } as LaneRules;
    const at = this.now();
    const ticketId = this.#lastTicket ?? null;
    await this.#record({ ticketId, persons: 1, lane: lane.lane, venue: lane.venue, direction: 'in', kind: ticketId ? 'normal' : 'emergency' }, { at, reason, ticketId, lane: lane.lane });
    this.counter.manual++;
    return this.#show({ admit: true, reason: 'manual', message: `人工放行：${reason}`, persons: 1, remaining: null, ticketId: ticketId ?? undefined, at });
  }

  async manualLog(): Promise<{ at: number; reason: string; ticketId: string | null }[]> {
    return all(this.#db, 'manual');
  }

  async #resolve(text: string): Promise<TicketFacts[] | Refusal> {
    const t = text.trim();
    if (looksLikeCode(t)) {
      const code = await readCode(t, (id) => this.#s.keys[id]?.publicKey);
      if (!code.ok) return code.reason;
      const limit = this.#s.keys[code.facts.keyId]?.notAfter;
      if (limit !== undefined && code.facts.validUntil > limit) return 'unknown_key';
      return [code.facts];
    }
    if (!t) return 'empty';
    if (t.length > 64 || !/^[\x21-\x7e]+$/.test(t)) return 'malformed';
    const ids = this.#s.creds[`barcode|${t}`] ?? [];
    const tickets = ids.flatMap((id) => (this.#s.tickets[id] ? [{ ticketId: id, ...this.#s.tickets[id]! }] : []));
    return tickets.length ? tickets : 'unknown';
  }

  async #question(facts: TicketFacts, lane: LaneRules, now: number): Promise<EntryQuestion> {
    const own = await byIndex<Stored>(this.#db, 'entries', 'ticketId', facts.ticketId);
    const history: Passage[] = own.map((e) => ({ at: e.correctedTime, lane: e.lane, venue: e.venue, direction: e.direction, kind: e.kind, persons: e.persons }));
    const venue = this.#s.venues[lane.venue];
    const slot = this.#s.slots[facts.ticketId];
    return {
      facts, type: this.#s.types[facts.typeId], lane, direction: 'in', mode: this.mode, revoked: this.#s.revoked[facts.ticketId] ?? null,
      history, now, tz: this.tz, siteLanes: Object.values(this.#s.lanes),
      ...(slot ? { slot } : {}), ...(venue ? { venue } : {}),
    };
  }

  async #conclude(v: Verdict, ticketId: string, lane: LaneRules): Promise<Shown> {
    this.#lastTicket = ticketId;
    if (!v.admit) return this.#refused(v.reason, v.detail, ticketId);
    await this.#record({ ticketId, persons: v.persons, lane: lane.lane, venue: v.venue, direction: 'in', kind: v.kind });
    this.counter.admitted++;
    this.counter.persons += v.persons;
    return { admit: true, reason: 'ok', message: admitMessage(v.persons, v.remaining, 'zh-CN', admitKind(v.kind)), persons: v.persons, remaining: v.remaining, ticketId, at: this.now() };
  }

  #refused(reason: Refusal, detail: Parameters<typeof refusalMessage>[1] = {}, ticketId?: string): Shown {
    this.counter.refused++;
    return { admit: false, reason, message: refusalMessage(reason, { ...detail, tz: this.tz }, 'zh-CN'), persons: 0, remaining: null, ticketId, at: this.now() };
  }

  async #show(s: Shown): Promise<Shown> {
    this.last = s;
    await write(this.#db, ['kv'], (st) => st.kv.put(this.counter, 'counter'));
    return s;
  }

  /** An entry into the outbox and the ticket's history, in one transaction, before the verdict shows. */
  async #record(e: Pick<EntryRecord, 'ticketId' | 'persons' | 'lane' | 'venue' | 'direction'> & { kind: EntryKind }, manual?: { at: number; reason: string; ticketId: string | null; lane: string }): Promise<void> {
    const deviceTime = this.now();
    const seq = this.#seq + 1;
    const entry: Stored = { ...e, nonce: crypto.randomUUID(), deviceTime, correctedTime: Math.round(deviceTime + this.#offset), seq };
    await write(this.#db, ['kv', 'outbox', 'entries', ...(manual ? ['manual' as const] : [])], (s) => {
      s.outbox.put(entry);
      s.entries.put(entry);
      s.kv.put(seq, 'seq');
      if (manual) s.manual.put(manual);
    });
    this.#seq = seq;
  }

  /** Uploads the outbox in order; drops what HQ acked. Returns how many entries are still waiting. */
  async upload(): Promise<number> {
    for (;;) {
      const pending = (await all<Stored>(this.#db, 'outbox', 500)).sort((a, b) => a.seq - b.seq);
      if (!pending.length) return 0;
      const batch: UpBatch = {
        device: this.setup.device, epoch: this.#epoch, firstSeq: pending[0]!.seq, lastSeq: pending[pending.length - 1]!.seq,
        entries: pending.map(({ seq: _, ...e }) => e),
      };
      const res = await fetch(`${this.setup.base}/api/v1/sync/up`, {
        method: 'POST', headers: { ...this.#auth(), 'content-type': 'application/json' }, body: JSON.stringify(batch),
      });
      if (!res.ok) throw new Error(`upload: HTTP ${res.status}`);
      const ack = await res.json() as UpAck;
      if (ack.epoch !== this.#epoch) throw new Error('upload: ack for another epoch');
      const acked = pending.filter((p) => p.seq <= ack.upTo);
      await write(this.#db, ['outbox'], (s) => { for (const p of acked) s.outbox.delete(p.seq); });
      if (acked.length < pending.length) return pending.length - acked.length;
    }
  }

  /** Start of today (site-local) for display. */
  dayStart(): number { return startOfBusinessDay(businessDay(this.now(), this.tz), this.tz); }
}

/** The device username of shared/auth/device.ts (role:site:device): a handheld's own role. */
function deviceUsername(s: DeviceSetup): string {
  return `handheld:${s.site}:${s.device}`;
}
