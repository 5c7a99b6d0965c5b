import { changeValidUntil } from '../../shared/sync/page.ts';
import { laneRules, type LaneRules, type TypeRules } from '../../shared/rules/model.ts';
import type { SenderRecord } from '../../shared/auth/entries.ts';
import type { VenueLookup } from '../../shared/sync/venues.ts';
import type { HeldTemplate } from '../../shared/template/pick.ts';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';

/**
 * Versioned schema, applied in order; `user_version` holds how many have run. Append only:
 * a shipped step is never edited.
 */
const MIGRATIONS = [
  `create table queue (
     -- autoincrement: ids are never reused, so "sent up to id N" stays true after deletes
     id integer primary key autoincrement,
     topic text not null,
     payload blob not null,
     retain integer not null,
     digest text not null,
     received_at integer not null
   );
   create index queue_topic on queue (topic, digest);
   create table retained (topic text primary key, payload blob not null, updated_at integer not null);
   create table changes (seq integer primary key, kind text not null, valid_until integer, body text not null);
   create index changes_valid_until on changes (valid_until) where valid_until is not null;
   create table meta (key text primary key, value text not null);`,
  // The hub's windows (edge/hub/window): what they sold, in a journal numbered for HQ.
  `create table journal (
     -- autoincrement: a number HQ has seen is never given to another entry
     seq integer primary key autoincrement,
     kind text not null,
     body text not null,
     created_at integer not null,
     taken_at integer,
     refused text
   );
   create index journal_pending on journal (seq) where taken_at is null;
   create table hub_orders (
     id text primary key,
     seq integer not null,
     seller_id text not null,
     shift_id text not null,
     idempotency_key text unique,
     body text not null,
     refund text
   );
   create index hub_orders_shift on hub_orders (shift_id);
   create table hub_shifts (
     id text primary key,
     seller_id text not null,
     float_fen integer not null,
     opened_at integer not null,
     closed_at integer,
     report text
   );
   create unique index hub_shifts_open on hub_shifts (seller_id) where closed_at is null;
   create table hub_sessions (token_hash text primary key, user_id text not null, expires_at integer not null, ended_at integer);
   create table hub_prints (ticket_id text not null, print_no integer not null, user_id text not null, at integer not null, reason text, primary key (ticket_id, print_no));`,
  // Capacity leases from HQ (edge/hub/window/leases.ts): cumulative counters, as HQ keeps them.
  `create table hub_leases (
     kind text not null,
     ref integer not null,
     day text not null,
     granted integer not null default 0,
     returned integer not null default 0,
     sold integer not null default 0,
     -- places a refused sale asked for: asked of HQ with the next exchange
     want integer not null default 0,
     limited integer,
     primary key (kind, ref, day)
   );`,
  // HQ's signed audit heads (issue 14), kept where HQ's database cannot reach: edge/hub/anchors.ts.
  `create table audit_anchors (seq integer not null, at integer not null, body text not null, received_at integer not null, primary key (seq, at));`,
  // Entries the site's LAN devices uploaded through the hub, for handhelds to hear (edge/hub/handheld.ts).
  `create table hub_entries (
     nonce text primary key,
     device text not null,
     ticket_id text,
     venue text not null,
     body text not null,
     received_at integer not null
   );
   create index hub_entries_received on hub_entries (received_at, nonce);`,
  // Bookings handed out at the hub's windows (edge/hub/window/pickups.ts), once each here;
  // HQ's orders of the site, as last fetched, for the window's order list (edge/hub/window/orders.ts).
  `create table hub_pickups (pickup_id text primary key, order_no text not null unique, seller_id text not null, at integer not null, seq integer not null);
   create table hub_hq_orders (id text primary key, created_at text not null, body text not null);`,
];

export interface QueuedMessage { id: number; topic: string; payload: Buffer; retain: boolean; /** When the hub took it (ms). */ at: number }
export interface StoredChange { seq: number; validUntil: number | null; body: string }

type Row<T> = Statement<unknown[], T>;

/**
 * The hub's SQLite file: the store-and-forward queue to HQ, the last retained payload per
 * down topic, and the site's copy of HQ's change log. WAL keeps LAN reads from waiting on
 * writes; synchronous=FULL means a message PUBACKed to a gate survives a power cut.
 */
export class HubStore {
  private records: { devices: Map<string, SenderRecord>; lanes: Map<string, LaneRules> } | undefined;
  private readonly q: {
    insert: Statement<unknown[]>;
    dropTopic: Statement<unknown[]>;
    exists: Row<{ id: number }>;
    after: Row<{ id: number; topic: string; payload: Buffer; retain: number; at: number }>;
    remove: Statement<unknown[]>;
    stats: Row<{ messages: number; bytes: number | null }>;
    getMeta: Row<{ value: string }>;
    setMeta: Statement<unknown[]>;
    readChanges: Row<StoredChange>;
    putChange: Statement<unknown[]>;
    pruneChanges: Statement<unknown[]>;
  };

  private constructor(readonly db: Database.Database) {
    this.q = {
      insert: db.prepare('insert into queue (topic, payload, retain, digest, received_at) values (?, ?, ?, ?, ?)'),
      dropTopic: db.prepare('delete from queue where topic = ?'),
      exists: db.prepare('select id from queue where topic = ? and digest = ? limit 1'),
      after: db.prepare('select id, topic, payload, retain, received_at at from queue where id > ? order by id limit ?'),
      remove: db.prepare('delete from queue where id = ?'),
      stats: db.prepare('select count(*) messages, sum(length(payload)) bytes from queue'),
      getMeta: db.prepare('select value from meta where key = ?'),
      setMeta: db.prepare('insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value'),
      readChanges: db.prepare('select seq, valid_until validUntil, body from changes where seq > ? order by seq limit ?'),
      putChange: db.prepare('insert or replace into changes (seq, kind, valid_until, body) values (?, ?, ?, ?)'),
      pruneChanges: db.prepare('delete from changes where valid_until is not null and valid_until <= ?'),
    };
  }

  static open(path: string): HubStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new HubStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Appends a device message for HQ, committed before this returns. A last-value topic keeps
   * only its newest payload. Anything else that is byte for byte a message still waiting
   * (a gate re-sending an unacked batch while the WAN is down) is not queued twice: the
   * pending copy carries the same bytes. Returns the new id, or undefined if not queued.
   */
  enqueue(topic: string, payload: Buffer, opts: { retain: boolean; lastValue: boolean; at: number }): number | undefined {
    const digest = createHash('sha256').update(payload).digest('hex').slice(0, 32);
    return this.db.transaction(() => {
      if (opts.lastValue) this.q.dropTopic.run(topic);
      else if (this.q.exists.get(topic, digest)) return undefined;
      return Number(this.q.insert.run(topic, payload, opts.retain ? 1 : 0, digest, opts.at).lastInsertRowid);
    })();
  }

  /** Queued messages after `id`, oldest first. */
  queuedAfter(id: number, limit: number): QueuedMessage[] {
    return this.q.after.all(id, limit).map((r) => ({ id: r.id, topic: r.topic, payload: r.payload, retain: r.retain === 1, at: r.at }));
  }

  /** HQ's broker has it: forget it. */
  dequeue(id: number): void {
    this.q.remove.run(id);
  }

  /** HQ's broker has them all (a bundle): forget them in one transaction. */
  dequeueMany(ids: readonly number[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.q.remove.run(id);
    })();
  }

  queueStats(): { messages: number; bytes: number } {
    const s = this.q.stats.get()!;
    return { messages: s.messages, bytes: s.bytes ?? 0 };
  }

  retained(): { topic: string; payload: Buffer }[] {
    return this.db.prepare('select topic, payload from retained order by topic').all() as { topic: string; payload: Buffer }[];
  }

  /** The last retained payload of a down topic; an empty one clears it, as in MQTT. */
  setRetained(topic: string, payload: Buffer, at: number): void {
    if (payload.length === 0) this.db.prepare('delete from retained where topic = ?').run(topic);
    else this.db.prepare('insert or replace into retained (topic, payload, updated_at) values (?, ?, ?)').run(topic, payload, at);
  }

  meta(key: string): string | undefined {
    return this.q.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.q.setMeta.run(key, value);
  }

  /** Which HQ change log the copy is of, and the checkpoint it holds everything up to. */
  changeLog(): { log: string | undefined; checkpoint: number } {
    return { log: this.meta('change_log'), checkpoint: Number(this.meta('checkpoint') ?? 0) };
  }

  /**
   * Stores one verified batch from HQ and its checkpoint in one transaction. Bodies are kept
   * as HQ sent them (a newer HQ may send kinds this hub does not know; gates may). Tickets
   * expired past `horizon` (unix s) go, as HQ would no longer send them either.
   */
  applyChanges(batch: { log: string; next: number; changes: { seq: number; kind: string; body: unknown }[] }, horizon: number): void {
    this.db.transaction(() => {
      const current = this.meta('change_log');
      if (current !== undefined && current !== batch.log) this.db.exec('delete from changes');
      for (const c of batch.changes) {
        this.q.putChange.run(c.seq, c.kind, changeValidUntil(c.body), JSON.stringify(c.body));
      }
      this.q.pruneChanges.run(horizon);
      this.setMeta('change_log', batch.log);
      this.setMeta('checkpoint', String(batch.next));
    })();
    if (batch.changes.some((c) => c.kind === 'device' || c.kind === 'lane')) this.records = undefined;
  }

  /** HQ says the copy means nothing any more: drop it and start over from 0 of `log`. */
  resetChanges(log: string): void {
    this.db.transaction(() => {
      this.db.exec('delete from changes');
      this.setMeta('change_log', log);
      this.setMeta('checkpoint', '0');
    })();
    this.records = undefined;
  }

  /**
   * The site's devices and lanes as HQ provisioned them, from the copy (the newest change of
   * each): the hub checks its LAN with them, as HQ does.
   */
  siteRecords(): { devices: ReadonlyMap<string, SenderRecord>; lanes: ReadonlyMap<string, LaneRules> } {
    if (!this.records) {
      const devices = new Map<string, SenderRecord>();
      const lanes = new Map<string, LaneRules>();
      for (const r of this.db.prepare("select body from changes where kind in ('device', 'lane') order by seq").all() as { body: string }[]) {
        const c = JSON.parse(r.body) as { kind: string; device?: string; role?: string; lanes?: string[]; active?: boolean; rules?: unknown };
        if (c.kind === 'device' && c.device) devices.set(c.device, { role: c.role ?? '', lanes: c.lanes ?? [], active: c.active === true });
        else if (c.kind === 'lane') {
          const rules = laneRules.safeParse(c.rules);
          if (rules.success) lanes.set(rules.data.lane, rules.data);
        }
      }
      this.records = { devices, lanes };
    }
    return this.records;
  }

  /** HQ's ticket print templates, every version in the copy (the windows print with them: shared/template pickTemplate). */
  templates(): HeldTemplate[] {
    return (this.db.prepare("select body from changes where kind = 'template' order by seq").all() as { body: string }[]).map((r) => {
      const c = JSON.parse(r.body) as HeldTemplate;
      return { code: c.code, version: c.version, typeId: c.typeId, layout: c.layout };
    });
  }

  /** Of these tickets, those HQ's log (as copied) revokes. */
  revokedTickets(ids: readonly string[]): Set<string> {
    const st = this.db.prepare("select 1 from changes where kind = 'revoke' and json_extract(body, '$.ticketId') = ? limit 1");
    return new Set(ids.filter((id) => st.get(id) !== undefined));
  }

  readChanges(since: number, limit: number): StoredChange[] {
    return this.q.readChanges.all(since, limit);
  }

  /**
   * Lookups for venue scoping (shared/sync/venues.ts) from the copy itself: the newest rules
   * of each type, and a ticket's type (a scan, for the rare credential or face change).
   */
  venueLookup(): VenueLookup {
    const rules = new Map<number, TypeRules>();
    for (const r of this.db.prepare("select body from changes where kind = 'type' order by seq").all() as { body: string }[]) {
      const c = JSON.parse(r.body) as { typeId: number; rules: TypeRules };
      rules.set(c.typeId, c.rules);
    }
    const ticketType = this.db.prepare("select json_extract(body, '$.ticket.typeId') typeId from changes where kind = 'ticket' and json_extract(body, '$.ticket.id') = ? order by seq desc limit 1");
    return {
      typeRules: (id) => rules.get(id),
      ticketType: (id) => (ticketType.get(id) as { typeId: number } | undefined)?.typeId,
    };
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) throw new Error(`hub.sqlite is schema version ${version}, newer than this hub (${MIGRATIONS.length})`);
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
