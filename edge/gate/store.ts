import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../../shared/code/keys.ts';
import type { TicketFacts } from '../../shared/code/ticket-code.ts';
import { laneRules, typeRules, venueRules, type LaneRules, type Passage, type TimeSlot, type TypeRules, type VenueRules } from '../../shared/rules/model.ts';
import { IN_PARK_DELTA_SQL, inParkCount, inParkDelta } from '../../shared/rules/capacity.ts';
import { desiredMode, type ChangeBatch, type DesiredMode, type EntryRecord } from '../../shared/sync/messages.ts';
import { ticketDigest, type DigestRow } from '../../shared/sync/digest.ts';
import { entryNonce } from '../../shared/sync/nonce.ts';
import type { SenderRecord } from '../../shared/auth/entries.ts';
import type { GateDb } from './db/open.ts';
import { decodeEmbedding, seal, sealBytes, unseal, unsealBytes } from '../../shared/face/seal.ts';

export interface PendingBatch {
  firstSeq: number;
  lastSeq: number;
  entries: EntryRecord[];
}

type Row<T> = Statement<unknown[], T>;

/** 2: card UIDs and ID numbers are keyed hashes; one value may stand for several tickets. */
const CACHE_FORMAT = '2';

/** A face that arrived or went in a pulled batch (embedding null: removed). */
export interface FaceChange { ticketId: string; model: string; embedding: Float32Array | null; validUntil: number }

export interface GateStoreOptions {
  /** The device key faces are sealed with; without it face changes are not kept. */
  faceKey?: () => Buffer;
}

/**
 * The gate's local truth: the ticket cache, the rules, the passage log and the outbox, all
 * in one SQLite file. Hot-path reads are prepared once; type and lane rules are held parsed
 * in memory; every write that must not be lost is one transaction.
 */
export class GateStore {
  private readonly q: {
    ticket: Row<{ typeId: number; validFrom: number; validUntil: number; persons: number; entries: number }>;
    credential: Row<{ ticketId: string }>;
    deleteCredential: Statement<unknown[]>;
    upsertDevice: Statement<unknown[]>;
    revoked: Row<{ reason: string }>;
    history: Row<Passage>;
    historySince: Row<Passage>;
    insertEntry: Statement<unknown[]>;
    insertOutbox: Statement<unknown[]>;
    getMeta: Row<{ value: string }>;
    setMeta: Statement<unknown[]>;
    pending: Row<{ seq: number; body: string }>;
    ackOutbox: Statement<unknown[]>;
    outboxSize: Row<{ n: number }>;
    upsertTicket: Statement<unknown[]>;
    upsertRevocation: Statement<unknown[]>;
    upsertKey: Statement<unknown[]>;
    upsertType: Statement<unknown[]>;
    upsertLane: Statement<unknown[]>;
    upsertCredential: Statement<unknown[]>;
    slot: Row<{ from: string; to: string }>;
    upsertSlot: Statement<unknown[]>;
    deleteSlot: Statement<unknown[]>;
    upsertVenue: Statement<unknown[]>;
    netInPark: Row<{ net: number }>;
  };
  private readonly venueMap = new Map<string, VenueRules>();
  /** Net persons in per venue since a business day's start, kept as entries are written. */
  private readonly inParkNet = new Map<string, { since: number; net: number }>();
  /**
   * Whether this gate hears its site now (its broker link is up, so siblings' entries reach
   * it); the agent sets it. When it does not, the in-park count is the last one it knew plus
   * its own entries, and decisions say so.
   */
  siteConnected: () => boolean = () => false;
  private readonly keys = new Map<string, KeyObject>();
  private readonly keyLimits = new Map<string, number>();
  private readonly types = new Map<number, TypeRules>();
  private readonly laneMap = new Map<string, LaneRules>();
  private readonly deviceMap = new Map<string, SenderRecord>();
  private credKey: Buffer | undefined;
  private desiredMode: DesiredMode | undefined;
  private laneList: LaneRules[] | undefined;
  /** Names this upload stream; a new one only when HQ has forgotten part of the old (startOver). */
  epoch: string;
  /** Told when HQ changed this gate's own lanes and the cache was dropped to be fetched anew for them. */
  onScopeChanged: (() => void) | undefined;
  /** Told after each committed batch that carried fingerprints (the fingerprint check writes them to its module). */
  onFingerprints: (() => void) | undefined;
  /** Told after each committed batch that carried faces (the face verifier's gallery listens). */
  onFaces: ((changes: FaceChange[], reset?: boolean) => void) | undefined;
  private key: Buffer | undefined;

  constructor(readonly db: GateDb, private readonly opts: GateStoreOptions = {}) {
    const s = db.$client;
    const passageCols = `corrected_time "at", lane, venue, direction, kind, persons`;
    this.q = {
      ticket: s.prepare('select type_id typeId, valid_from validFrom, valid_until validUntil, persons, entries from tickets where id = ?'),
      credential: s.prepare('select ticket_id ticketId from credentials where kind = ? and value = ?'),
      deleteCredential: s.prepare('delete from credentials where kind = ? and value = ? and ticket_id = ?'),
      upsertDevice: s.prepare('insert or replace into devices (device, role, lanes, active) values (?, ?, ?, ?)'),
      revoked: s.prepare('select reason from revocations where ticket_id = ?'),
      history: s.prepare(`select ${passageCols} from entries where ticket_id = ?`),
      historySince: s.prepare(`select ${passageCols} from entries where ticket_id = ? and corrected_time >= ?`),
      insertEntry: s.prepare(`insert or ignore into entries (nonce, ticket_id, device, lane, venue, direction, kind, persons, device_time, corrected_time)
        values (@nonce, @ticketId, @device, @lane, @venue, @direction, @kind, @persons, @deviceTime, @correctedTime)`),
      insertOutbox: s.prepare('insert into outbox (kind, body, created_at) values (?, ?, ?)'),
      getMeta: s.prepare('select value from meta where key = ?'),
      setMeta: s.prepare('insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value'),
      pending: s.prepare('select seq, body from outbox where seq > ? order by seq limit ?'),
      ackOutbox: s.prepare('delete from outbox where seq <= ?'),
      outboxSize: s.prepare('select count(*) n from outbox'),
      upsertTicket: s.prepare(`insert into tickets (id, type_id, valid_from, valid_until, persons, entries)
        values (@id, @typeId, @validFrom, @validUntil, @persons, @entries)
        on conflict(id) do update set type_id = excluded.type_id, valid_from = excluded.valid_from,
          valid_until = excluded.valid_until, persons = excluded.persons, entries = excluded.entries`),
      upsertRevocation: s.prepare(`insert into revocations (ticket_id, reason) values (?, ?)
        on conflict(ticket_id) do update set reason = excluded.reason`),
      upsertKey: s.prepare('insert or replace into issuer_keys (key_id, public_key, not_after) values (?, ?, ?)'),
      upsertType: s.prepare('insert or replace into ticket_types (type_id, rules) values (?, ?)'),
      upsertLane: s.prepare('insert or replace into lanes (lane, rules) values (?, ?)'),
      upsertCredential: s.prepare('insert or replace into credentials (kind, value, ticket_id) values (?, ?, ?)'),
      slot: s.prepare('select slot_from "from", slot_to "to" from ticket_slots where ticket_id = ?'),
      upsertSlot: s.prepare('insert or replace into ticket_slots (ticket_id, slot_from, slot_to) values (?, ?, ?)'),
      deleteSlot: s.prepare('delete from ticket_slots where ticket_id = ?'),
      upsertVenue: s.prepare('insert or replace into venues (venue, rules) values (?, ?)'),
      netInPark: s.prepare(`select coalesce(sum(${IN_PARK_DELTA_SQL}), 0) net from entries where venue = ? and corrected_time >= ?`),
    };
    this.epoch = this.meta('epoch')!;
    for (const k of s.prepare('select key_id keyId, public_key publicKey, not_after notAfter from issuer_keys').all() as { keyId: string; publicKey: string; notAfter: number | null }[]) {
      this.keys.set(k.keyId, publicKeyFromRaw(Buffer.from(k.publicKey, 'hex')));
      if (k.notAfter !== null) this.keyLimits.set(k.keyId, k.notAfter);
    }
    for (const t of s.prepare('select type_id typeId, rules from ticket_types').all() as { typeId: number; rules: string }[]) {
      this.types.set(t.typeId, typeRules.parse(JSON.parse(t.rules)));
    }
    for (const l of s.prepare('select rules from lanes').all() as { rules: string }[]) {
      const rules = laneRules.parse(JSON.parse(l.rules));
      this.laneMap.set(rules.lane, rules);
    }
    for (const v of s.prepare('select rules from venues').all() as { rules: string }[]) {
      const rules = venueRules.parse(JSON.parse(v.rules));
      this.venueMap.set(rules.venue, rules);
    }
    for (const d of s.prepare('select device, role, lanes, active from devices').all() as { device: string; role: string; lanes: string; active: number }[]) {
      this.deviceMap.set(d.device, { role: d.role, lanes: JSON.parse(d.lanes) as string[], active: d.active === 1 });
    }
    const key = this.meta('credential_key');
    if (key) this.credKey = Buffer.from(key, 'hex');
    // A cache from before credentials travelled as keyed hashes holds values no lookup finds: fetch it anew.
    if (this.meta('cache_format') !== CACHE_FORMAT) {
      if (this.checkpoint() > 0) this.resetCache(this.meta('change_log') ?? '');
      this.setMeta('cache_format', CACHE_FORMAT);
    }
  }

  get keyring(): ReadonlyMap<string, KeyObject> { return this.keys; }

  /**
   * The delegation limit of a site hub's key (unix s): codes it signed are trusted only if
   * valid no later than this. undefined: an issuer without a limit (HQ).
   */
  keyLimit(keyId: string): number | undefined { return this.keyLimits.get(keyId); }

  typeRules(typeId: number): TypeRules | undefined { return this.types.get(typeId); }

  lane(id: string): LaneRules | undefined { return this.laneMap.get(id); }

  /** Every lane of the site, for suggestions; read on every decision, so kept as one array. */
  get lanes(): readonly LaneRules[] {
    this.laneList ??= [...this.laneMap.values()];
    return this.laneList;
  }

  /** Capacity and slot rules of a venue, once HQ has sent them. */
  venue(id: string): VenueRules | undefined { return this.venueMap.get(id); }

  /** The time slot a ticket was sold for, if any. */
  slot(ticketId: string): TimeSlot | undefined { return this.q.slot.get(ticketId); }

  /**
   * Persons inside a venue since `dayStart` by every passage this gate holds (its own and
   * its siblings'), by the shared rule (shared/rules/capacity.ts). Read from the file once a
   * day, then kept up as passages are written.
   */
  inPark(venue: string, dayStart: number): number {
    let c = this.inParkNet.get(venue);
    if (!c || c.since !== dayStart) {
      c = { since: dayStart, net: this.q.netInPark.get(venue, dayStart)!.net };
      this.inParkNet.set(venue, c);
    }
    return inParkCount(c.net);
  }

  private counted(e: Pick<EntryRecord, 'venue' | 'direction' | 'kind' | 'persons' | 'correctedTime'>): void {
    const c = this.inParkNet.get(e.venue);
    if (c && e.correctedTime >= c.since) c.net += inParkDelta(e);
  }

  ticket(id: string): TicketFacts | undefined {
    const row = this.q.ticket.get(id);
    return row && { ticketId: id, ...row };
  }

  /** The tickets a credential stands for (its value as the cache keeps it: see credentialKey). */
  ticketsByCredential(kind: string, value: string): string[] {
    return this.q.credential.all(kind, value).map((r) => r.ticketId);
  }

  /** The site's key for card UIDs and ID numbers (shared/rules/credential.ts), once HQ has sent it. */
  credentialKey(): Buffer | undefined { return this.credKey; }

  /** A device of the site as HQ provisioned it (for checking a sibling's entries). */
  device(id: string): SenderRecord | undefined { return this.deviceMap.get(id); }

  revokedReason(ticketId: string): string | null {
    return this.q.revoked.get(ticketId)?.reason ?? null;
  }

  /** The ticket's passages from every device this gate knows of; since a time when only recent ones matter. */
  history(ticketId: string, since?: number): Passage[] {
    return since === undefined ? this.q.history.all(ticketId) : this.q.historySince.all(ticketId, since);
  }

  /**
   * Appends a passage and queues it for upload, atomically: both or neither survive a crash.
   * The nonce comes from the outbox sequence number (see shared/sync/nonce.ts).
   */
  recordEntry(entry: Omit<EntryRecord, 'nonce'> & { device: string }): EntryRecord & { seq: number } {
    return this.db.$client.transaction(() => {
      // Any nonce a caller passed is dropped: the one derived from the sequence number is the nonce.
      const { device: _device, nonce: _ignored, ...body } = entry as typeof entry & { nonce?: string };
      const seq = Number(this.q.insertOutbox.run('entry', JSON.stringify(body), entry.deviceTime).lastInsertRowid);
      const nonce = entryNonce(entry.device, this.epoch, seq);
      if (this.q.insertEntry.run({ ...entry, nonce }).changes) this.counted(entry);
      return { ...body, nonce, seq };
    })();
  }

  /** Entries a sibling gate uploaded, heard on the site's broker: counted here too, not re-uploaded. */
  addSiblingEntries(device: string, records: EntryRecord[]): number {
    let added = 0;
    this.db.$client.transaction(() => {
      for (const r of records) {
        const n = this.q.insertEntry.run({ ...r, device }).changes;
        if (n) this.counted(r);
        added += n;
      }
    })();
    return added;
  }

  pendingAfter(seq: number, limit: number, device: string): PendingBatch | undefined {
    const rows = this.q.pending.all(seq, limit);
    if (rows.length === 0) return undefined;
    return {
      firstSeq: rows[0]!.seq, lastSeq: rows[rows.length - 1]!.seq,
      // Rows written before nonces were derived carry their own, which then wins.
      entries: rows.map((r) => ({ nonce: entryNonce(device, this.epoch, r.seq), ...(JSON.parse(r.body) as Omit<EntryRecord, 'nonce'>) })),
    };
  }

  /** HQ holds everything up to `seq`: forget it from the outbox (the entries stay). */
  acknowledge(seq: number): void {
    this.db.$client.transaction(() => {
      this.q.ackOutbox.run(seq);
      if (seq > this.ackedUpTo()) this.q.setMeta.run('acked_up_to', String(seq));
    })();
  }

  ackedUpTo(): number { return Number(this.meta('acked_up_to') ?? 0); }

  /**
   * HQ has forgotten uploads it once acknowledged (restored from an older backup): open a new
   * upload stream (epoch, sequence numbers from 1) holding this gate's own passages since
   * `since`, with the nonces they were admitted under, so HQ takes back what it lost and
   * ignores what it still has. What waited in the outbox is among them.
   */
  startOver(device: string, since: number): { epoch: string; requeued: number } {
    const s = this.db.$client;
    return s.transaction(() => {
      const rows = s.prepare(`select nonce, ticket_id ticketId, lane, venue, direction, kind, persons, device_time deviceTime, corrected_time correctedTime
        from entries where device = ? and device_time >= ? order by device_time, rowid`).all(device, since) as (EntryRecord & { deviceTime: number })[];
      // Rows still waiting keep their place even if older than `since`: nothing queued is dropped.
      const waiting = this.q.pending.all(0, 1_000_000_000).map((r) => ({ nonce: entryNonce(device, this.epoch, r.seq), ...(JSON.parse(r.body) as Omit<EntryRecord, 'nonce'>) }));
      const byNonce = new Map<string, EntryRecord>();
      for (const e of [...waiting, ...rows]) byNonce.set(e.nonce, e);
      const all = [...byNonce.values()].sort((a, b) => a.deviceTime - b.deviceTime);
      s.exec('delete from outbox');
      s.exec("delete from sqlite_sequence where name = 'outbox'");
      for (const e of all) this.q.insertOutbox.run('entry', JSON.stringify(e), e.deviceTime);
      const epoch = randomUUID();
      this.q.setMeta.run('epoch', epoch);
      this.q.setMeta.run('acked_up_to', '0');
      this.epoch = epoch;
      return { epoch, requeued: all.length };
    })();
  }

  outboxSize(): number { return this.q.outboxSize.get()!.n; }

  checkpoint(): number { return Number(this.meta('checkpoint') ?? 0); }

  meta(key: string): string | undefined { return this.q.getMeta.get(key)?.value; }

  setMeta(key: string, value: string): void { this.q.setMeta.run(key, value); }

  /** The newest desired mode this gate has applied, site-wide or its own (read on every decision: held in memory). */
  desired(): DesiredMode {
    if (!this.desiredMode) {
      const raw = this.meta('desired');
      this.desiredMode = raw ? desiredMode.parse(JSON.parse(raw)) : { mode: 'normal', version: 0, at: 0 };
    }
    return this.desiredMode;
  }

  /** Keeps a desired mode if it is newer than the one held; says whether it was. */
  offerDesired(d: DesiredMode): boolean {
    if (d.version <= this.desired().version) return false;
    this.setMeta('desired', JSON.stringify(d));
    this.desiredMode = d;
    return true;
  }

  /**
   * Applies one pulled batch and its checkpoint in one transaction. Returns the newest mode
   * order in it for this device, if any, for the agent to apply.
   */
  applyBatch(batch: ChangeBatch, device: string): DesiredMode | undefined {
    const newKeys: [string, KeyObject, number | undefined][] = [];
    const newTypes: [number, TypeRules][] = [];
    const newLanes: LaneRules[] = [];
    const newVenues: VenueRules[] = [];
    const newDevices: [string, SenderRecord][] = [];
    let mode: DesiredMode | undefined;
    const faces: FaceChange[] = [];
    let fingerprintsChanged = false;
    this.db.$client.transaction(() => {
      for (const r of batch.local ?? []) this.q.upsertRevocation.run(r.ticketId, r.reason);
      for (const c of batch.changes) {
        switch (c.kind) {
          case 'ticket': this.q.upsertTicket.run(c.ticket); break;
          case 'revoke': this.q.upsertRevocation.run(c.ticketId, c.reason); break;
          case 'credential': this.q.upsertCredential.run(c.credential, c.value, c.ticketId); break;
          case 'unbind': this.q.deleteCredential.run(c.credential, c.value, c.ticketId); break;
          case 'device':
            this.q.upsertDevice.run(c.device, c.role, JSON.stringify(c.lanes), c.active ? 1 : 0);
            newDevices.push([c.device, { role: c.role, lanes: c.lanes, active: c.active }]);
            break;
          case 'face': {
            const key = this.faceKey();
            if (!key) break;
            if (c.embedding === null) this.db.$client.prepare('delete from faces where ticket_id = ?').run(c.ticketId);
            else {
              let embedding: Float32Array;
              try {
                embedding = decodeEmbedding(c.embedding);
              } catch {
                break; // a corrupt face is dropped, never allowed to stall the whole pull
              }
              this.db.$client.prepare(`insert into faces (ticket_id, model, sealed, valid_until) values (?, ?, ?, ?)
                on conflict(ticket_id) do update set model = excluded.model, sealed = excluded.sealed, valid_until = excluded.valid_until`)
                .run(c.ticketId, c.model, seal(key, c.ticketId, c.model, embedding), c.validUntil);
              faces.push({ ticketId: c.ticketId, model: c.model, embedding, validUntil: c.validUntil });
              break;
            }
            faces.push({ ticketId: c.ticketId, model: c.model, embedding: null, validUntil: c.validUntil });
            break;
          }
          case 'fingerprint': {
            const key = this.faceKey();
            if (!key) break;
            fingerprintsChanged = true;
            if (c.template === null) {
              this.db.$client.prepare('delete from fingerprints where ticket_id = ?').run(c.ticketId);
              break;
            }
            const template = Buffer.from(c.template, 'base64');
            // A new template for a ticket leaves its module page empty until written again.
            this.db.$client.prepare(`insert into fingerprints (ticket_id, format, sealed, valid_until, page) values (?, ?, ?, ?, null)
              on conflict(ticket_id) do update set format = excluded.format, sealed = excluded.sealed, valid_until = excluded.valid_until, page = null`)
              .run(c.ticketId, c.format, sealBytes(key, c.ticketId, c.format, template), c.validUntil);
            break;
          }
          case 'type':
            this.q.upsertType.run(c.typeId, JSON.stringify(c.rules));
            newTypes.push([c.typeId, c.rules]);
            break;
          case 'lane':
            this.q.upsertLane.run(c.rules.lane, JSON.stringify(c.rules));
            newLanes.push(c.rules);
            break;
          case 'venue':
            this.q.upsertVenue.run(c.rules.venue, JSON.stringify(c.rules));
            newVenues.push(c.rules);
            break;
          case 'slot':
            if (c.slot) this.q.upsertSlot.run(c.ticketId, c.slot.from, c.slot.to);
            else this.q.deleteSlot.run(c.ticketId);
            break;
          case 'mode':
            if (c.device === '' || c.device === device) mode = { mode: c.mode, version: c.seq, at: batch.serverTime };
            break;
          case 'key':
            newKeys.push([c.keyId, publicKeyFromRaw(Buffer.from(c.publicKey, 'hex')), c.notAfter]);
            this.q.upsertKey.run(c.keyId, c.publicKey, c.notAfter ?? null);
            break;
        }
      }
      if (batch.credentialKey && batch.credentialKey !== this.meta('credential_key')) this.q.setMeta.run('credential_key', batch.credentialKey);
      this.q.setMeta.run('checkpoint', String(batch.next));
    })();
    if (batch.credentialKey) this.credKey = Buffer.from(batch.credentialKey, 'hex');
    for (const [id, d] of newDevices) this.deviceMap.set(id, d);
    // Only after commit: what is in memory never gets ahead of the file.
    for (const [id, key, notAfter] of newKeys) {
      this.keys.set(id, key);
      if (notAfter === undefined) this.keyLimits.delete(id);
      else this.keyLimits.set(id, notAfter);
    }
    for (const [id, rules] of newTypes) this.types.set(id, rules);
    for (const l of newLanes) this.laneMap.set(l.lane, l);
    for (const v of newVenues) this.venueMap.set(v.venue, v);
    if (newLanes.length) this.laneList = undefined;
    if (faces.length) this.onFaces?.(faces);
    if (fingerprintsChanged) this.onFingerprints?.();
    // HQ scopes a gate's pulls by its lanes' venues: when they change, what is cached was
    // chosen for the old lanes, so it is fetched anew (nothing scanned is touched).
    const mine = newDevices.filter(([id]) => id === device).pop()?.[1];
    if (mine) {
      const lanes = [...mine.lanes].sort().join(',');
      const before = this.meta('own_lanes');
      this.setMeta('own_lanes', lanes);
      if (before !== undefined && before !== lanes) {
        this.resetCache(this.meta('change_log') ?? '');
        this.setMeta('own_lanes', lanes);
        this.onScopeChanged?.();
        return undefined;
      }
    }
    return mode;
  }

  /**
   * Forgets everything learned from HQ's change log (tickets, credentials, revocations,
   * rules, checkpoint) so the next pull rebuilds it. Keys stay (codes they signed stay
   * verifiable), and so do the passage log and the outbox: nothing scanned is ever dropped.
   */
  resetCache(log: string): void {
    this.db.$client.transaction(() => {
      for (const table of ['tickets', 'credentials', 'revocations', 'ticket_types', 'lanes', 'faces', 'fingerprints', 'devices', 'venues', 'ticket_slots']) this.db.$client.exec(`delete from ${table}`);
      this.q.setMeta.run('checkpoint', '0');
      this.q.setMeta.run('change_log', log);
    })();
    this.types.clear();
    this.laneMap.clear();
    this.venueMap.clear();
    this.deviceMap.clear();
    this.laneList = undefined;
    this.onFaces?.([], true);
    this.onFingerprints?.();
  }

  /** Forgets the bindings of tickets that ended before `nowS` (HQ releases them only when the value is bound again). */
  purgeExpiredCredentials(nowS: number): number {
    this.db.$client.prepare('delete from ticket_slots where ticket_id in (select id from tickets where valid_until <= ?)').run(nowS);
    return this.db.$client.prepare('delete from credentials where ticket_id in (select id from tickets where valid_until <= ?)').run(nowS).changes;
  }

  /**
   * An order-independent digest of the ticket cache (ids, validity, persons, entries,
   * revocations): equal on a gate and at HQ when the gate holds what HQ says it should.
   */
  cacheDigest(sinceValidUntil: number): { tickets: number; digest: string } {
    const rows = this.db.$client.prepare(`select t.id, t.type_id typeId, t.valid_from validFrom, t.valid_until validUntil, t.persons, t.entries,
      coalesce(r.reason, '') revoked from tickets t left join revocations r on r.ticket_id = t.id where t.valid_until > ?`).all(sinceValidUntil) as DigestRow[];
    return ticketDigest(rows);
  }

  /** A command's last known status on this gate, if it was seen before. */
  command(id: string): { status: string; detail: string | null } | undefined {
    return this.db.$client.prepare('select status, detail from command_log where id = ?').get(id) as { status: string; detail: string | null } | undefined;
  }

  setCommand(id: string, name: string, status: string, detail: string | null, at: number): void {
    this.db.$client.prepare(`insert into command_log (id, name, status, detail, at) values (?, ?, ?, ?, ?)
      on conflict(id) do update set status = excluded.status, detail = excluded.detail, at = excluded.at`).run(id, name, status, detail, at);
  }

  private faceKey(): Buffer | undefined {
    this.key ??= this.opts.faceKey?.();
    return this.key;
  }

  /** The face bound to a ticket, unsealed; undefined when none is held (or it expired). */
  face(ticketId: string, nowS: number): { model: string; embedding: Float32Array } | undefined {
    const key = this.faceKey();
    const row = this.db.$client.prepare('select model, sealed, valid_until validUntil from faces where ticket_id = ?').get(ticketId) as { model: string; sealed: Buffer; validUntil: number } | undefined;
    if (!key || !row || row.validUntil <= nowS) return undefined;
    return { model: row.model, embedding: unseal(key, ticketId, row.model, row.sealed) };
  }

  /** Every face still valid at `nowS`, unsealed one at a time (for the 1:N gallery). */
  *faces(nowS: number): Generator<{ ticketId: string; model: string; embedding: Float32Array }> {
    const key = this.faceKey();
    if (!key) return;
    const rows = this.db.$client.prepare('select ticket_id ticketId, model, sealed from faces where valid_until > ?').iterate(nowS) as Iterable<{ ticketId: string; model: string; sealed: Buffer }>;
    for (const r of rows) yield { ticketId: r.ticketId, model: r.model, embedding: unseal(key, r.ticketId, r.model, r.sealed) };
  }

  /** Deletes the faces of expired tickets; returns their ticket ids. */
  purgeExpiredFaces(nowS: number): string[] {
    const gone = (this.db.$client.prepare('select ticket_id ticketId from faces where valid_until <= ?').all(nowS) as { ticketId: string }[]).map((r) => r.ticketId);
    if (gone.length) this.db.$client.prepare('delete from faces where valid_until <= ?').run(nowS);
    return gone;
  }

  /** The fingerprint template bound to a ticket, unsealed; undefined when none is held (or it ended). */
  fingerprint(ticketId: string, nowS: number): { format: string; template: Buffer; page: number | null } | undefined {
    const key = this.faceKey();
    const row = this.db.$client.prepare('select format, sealed, valid_until validUntil, page from fingerprints where ticket_id = ?').get(ticketId) as { format: string; sealed: Buffer; validUntil: number; page: number | null } | undefined;
    if (!key || !row || row.validUntil <= nowS) return undefined;
    return { format: row.format, template: unsealBytes(key, ticketId, row.format, row.sealed), page: row.page };
  }

  /** The ticket whose template the module holds in `page`. */
  fingerprintAt(page: number, nowS: number): string | undefined {
    const row = this.db.$client.prepare('select ticket_id ticketId from fingerprints where page = ? and valid_until > ?').get(page, nowS) as { ticketId: string } | undefined;
    return row?.ticketId;
  }

  /** Templates valid at `nowS` that no module page holds yet, soonest-ending last. */
  fingerprintsToWrite(nowS: number, limit: number): string[] {
    return (this.db.$client.prepare('select ticket_id ticketId from fingerprints where page is null and valid_until > ? order by valid_until desc limit ?')
      .all(nowS, limit) as { ticketId: string }[]).map((r) => r.ticketId);
  }

  /** Module pages in use. */
  fingerprintPages(): Set<number> {
    return new Set((this.db.$client.prepare('select page from fingerprints where page is not null').all() as { page: number }[]).map((r) => r.page));
  }

  setFingerprintPage(ticketId: string, page: number | null): void {
    this.db.$client.prepare('update fingerprints set page = ? where ticket_id = ?').run(page, ticketId);
  }

  /** Forgets every module page (the module was emptied or replaced). */
  clearFingerprintPages(): void {
    this.db.$client.prepare('update fingerprints set page = null').run();
  }

  /** Deletes the fingerprints of tickets that ended; returns the module pages they held. */
  purgeExpiredFingerprints(nowS: number): number[] {
    const pages = (this.db.$client.prepare('select page from fingerprints where valid_until <= ? and page is not null').all(nowS) as { page: number }[]).map((r) => r.page);
    this.db.$client.prepare('delete from fingerprints where valid_until <= ?').run(nowS);
    return pages;
  }

  entriesFor(ticketId: string): EntryRecord[] {
    return this.db.$client.prepare(`select nonce, ticket_id ticketId, lane, venue, direction, kind, persons, device_time deviceTime,
      corrected_time correctedTime from entries where ticket_id = ? order by device_time`).all(ticketId) as EntryRecord[];
  }
}
