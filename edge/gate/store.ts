import type { Statement } from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../../shared/code/keys.ts';
import type { TicketFacts } from '../../shared/code/ticket-code.ts';
import type { ChangeBatch, EntryRecord } from '../../shared/sync/messages.ts';
import type { GateDb } from './db/open.ts';

export interface PendingBatch {
  firstSeq: number;
  lastSeq: number;
  entries: EntryRecord[];
}

/**
 * The gate's local truth: the ticket cache, the passage log and the outbox, all in one
 * SQLite file. Hot-path reads are prepared once; every write that must not be lost is one
 * transaction.
 */
export class GateStore {
  private readonly q: {
    ticket: Statement<[string], { typeId: number; validFrom: number; validUntil: number; persons: number; entries: number }>;
    credential: Statement<[string, string], { ticketId: string }>;
    revoked: Statement<[string], { reason: string }>;
    consumed: Statement<[string], { persons: number | null }>;
    insertEntry: Statement<unknown[]>;
    insertOutbox: Statement<unknown[]>;
    getMeta: Statement<[string], { value: string }>;
    setMeta: Statement<[string, string]>;
    pending: Statement<[number, number], { seq: number; body: string }>;
    ackOutbox: Statement<[number]>;
    upsertTicket: Statement<unknown[]>;
    upsertRevocation: Statement<unknown[]>;
    upsertKey: Statement<unknown[]>;
  };
  private readonly keys = new Map<string, KeyObject>();
  readonly epoch: string;

  constructor(readonly db: GateDb) {
    const s = db.$client;
    this.q = {
      ticket: s.prepare('select type_id typeId, valid_from validFrom, valid_until validUntil, persons, entries from tickets where id = ?'),
      credential: s.prepare('select ticket_id ticketId from credentials where kind = ? and value = ?'),
      revoked: s.prepare('select reason from revocations where ticket_id = ?'),
      consumed: s.prepare(`select sum(persons) persons from entries where ticket_id = ? and direction = 'in' and kind = 'normal'`),
      insertEntry: s.prepare(`insert into entries (nonce, ticket_id, device, lane, direction, kind, persons, device_time, corrected_time)
        values (@nonce, @ticketId, @device, @lane, @direction, @kind, @persons, @deviceTime, @correctedTime)`),
      insertOutbox: s.prepare('insert into outbox (kind, body, created_at) values (?, ?, ?)'),
      getMeta: s.prepare('select value from meta where key = ?'),
      setMeta: s.prepare('insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value'),
      pending: s.prepare(`select seq, body from outbox where seq > ? order by seq limit ?`),
      ackOutbox: s.prepare('delete from outbox where seq <= ?'),
      upsertTicket: s.prepare(`insert into tickets (id, type_id, valid_from, valid_until, persons, entries)
        values (@id, @typeId, @validFrom, @validUntil, @persons, @entries)
        on conflict(id) do update set type_id = excluded.type_id, valid_from = excluded.valid_from,
          valid_until = excluded.valid_until, persons = excluded.persons, entries = excluded.entries`),
      upsertRevocation: s.prepare(`insert into revocations (ticket_id, reason) values (?, ?)
        on conflict(ticket_id) do update set reason = excluded.reason`),
      upsertKey: s.prepare('insert or replace into issuer_keys (key_id, public_key) values (?, ?)'),
    };
    this.epoch = this.meta('epoch')!;
    for (const k of s.prepare('select key_id keyId, public_key publicKey from issuer_keys').all() as { keyId: string; publicKey: string }[]) {
      this.keys.set(k.keyId, publicKeyFromRaw(Buffer.from(k.publicKey, 'hex')));
    }
  }

  get keyring(): ReadonlyMap<string, KeyObject> { return this.keys; }

  ticket(id: string): TicketFacts | undefined {
    const row = this.q.ticket.get(id);
    return row && { ticketId: id, ...row };
  }

  ticketByCredential(kind: string, value: string): string | undefined {
    return this.q.credential.get(kind, value)?.ticketId;
  }

  revokedReason(ticketId: string): string | null {
    return this.q.revoked.get(ticketId)?.reason ?? null;
  }

  /** Person-entries consumed so far, from every device's entries this gate holds. */
  consumed(ticketId: string): number {
    return this.q.consumed.get(ticketId)?.persons ?? 0;
  }

  /** Appends a passage and queues it for upload, atomically: both or neither survive a crash. */
  recordEntry(entry: EntryRecord & { device: string }): void {
    this.db.$client.transaction(() => {
      this.q.insertEntry.run(entry);
      const { device: _device, ...record } = entry;
      this.q.insertOutbox.run('entry', JSON.stringify(record), entry.deviceTime);
    })();
  }

  pendingAfter(seq: number, limit: number): PendingBatch | undefined {
    const rows = this.q.pending.all(seq, limit);
    if (rows.length === 0) return undefined;
    return { firstSeq: rows[0]!.seq, lastSeq: rows[rows.length - 1]!.seq, entries: rows.map((r) => JSON.parse(r.body) as EntryRecord) };
  }

  /** HQ holds everything up to `seq`: forget it from the outbox (the entries stay). */
  acknowledge(seq: number): void {
    this.db.$client.transaction(() => {
      this.q.ackOutbox.run(seq);
      if (seq > this.ackedUpTo()) this.q.setMeta.run('acked_up_to', String(seq));
    })();
  }

  ackedUpTo(): number { return Number(this.meta('acked_up_to') ?? 0); }

  outboxSize(): number {
    return (this.db.$client.prepare('select count(*) n from outbox').get() as { n: number }).n;
  }

  checkpoint(): number { return Number(this.meta('checkpoint') ?? 0); }

  meta(key: string): string | undefined { return this.q.getMeta.get(key)?.value; }

  setMeta(key: string, value: string): void { this.q.setMeta.run(key, value); }

  /** Applies one pulled batch and its checkpoint in one transaction. */
  applyBatch(batch: ChangeBatch): void {
    const newKeys: [string, KeyObject][] = [];
    this.db.$client.transaction(() => {
      for (const c of batch.changes) {
        if (c.kind === 'ticket') this.q.upsertTicket.run(c.ticket);
        else if (c.kind === 'revoke') this.q.upsertRevocation.run(c.ticketId, c.reason);
        else {
          newKeys.push([c.keyId, publicKeyFromRaw(Buffer.from(c.publicKey, 'hex'))]);
          this.q.upsertKey.run(c.keyId, c.publicKey);
        }
      }
      this.q.setMeta.run('checkpoint', String(batch.next));
    })();
    // Only after commit: the in-memory keyring never gets ahead of the file.
    for (const [id, key] of newKeys) this.keys.set(id, key);
  }

  entriesFor(ticketId: string): EntryRecord[] {
    return this.db.$client.prepare(`select nonce, ticket_id ticketId, lane, direction, kind, persons, device_time deviceTime,
      corrected_time correctedTime from entries where ticket_id = ? order by device_time`).all(ticketId) as EntryRecord[];
  }
}
