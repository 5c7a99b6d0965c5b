import { and, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import { checkEntry, ENTRY_LIMITS, type EntryLimits, type EntryRefusal } from '../../shared/auth/entries.ts';
import { grantAt } from '../../shared/rules/decide.ts';
import { typeRules } from '../../shared/rules/model.ts';
import type { EntryRecord, UpBatch } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
import { devices, deviceStreams, entries, lanes, overUse, refusedEntries, tickets, ticketTypes } from '../db/schema/index.ts';
import { recordRefusals } from '../devices/service.ts';

import { queueRedemptions } from '../channels/notices.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface IngestResult {
  ackedUpTo: number;
  inserted: number;
  /** Entries not taken, newly or again, with why (shared/auth/entries.ts). */
  refused: { nonce: string; reason: EntryRefusal; lane: string }[];
}

/**
 * Ingests one uploaded batch. Idempotent twice over: an entry's nonce is its primary key
 * (a re-sent entry is ignored), and the stream's watermark only moves over contiguous
 * sequence numbers, so a gap makes HQ ack less and the device re-send from there.
 * Entries that push a ticket past what it grants are accepted (they happened) and the
 * ticket is recorded as over-used, never hidden.
 *
 * A device speaks only for itself: an entry for a lane the device does not serve, from a
 * device HQ has not provisioned, or at a time far from HQ's clock is refused. It is kept in
 * refused_entries (once, by its nonce), counted on the device and acknowledged with the
 * rest, so a device's stream never stalls on it. Returns the sequence number acked.
 */
export async function ingestBatch(db: Db, site: string, batch: UpBatch, now = new Date(), limits: EntryLimits = ENTRY_LIMITS): Promise<IngestResult> {
  // Measured (test/bench/sync.ts, PGlite): drizzle's multi-row insert binds a parameter per
  // value (2,400 for 200 entries), the over-use check took three more queries with one per
  // ticket and an insert per over-used ticket; binding and round trips, not the work, made
  // most of the ~136 ms a 200-entry batch cost. Here the entries go in as arrays in one
  // statement, and what needs no lock (the sender's record and lanes, the checks) is done
  // before the transaction takes its locks.
  const touchedIds = [...new Set(batch.entries.filter((e) => e.ticketId && (e.kind === 'normal' || e.kind === 'return')).map((e) => e.ticketId!))];
  const named = [...new Set(batch.entries.map((e) => e.lane))];
  const [[sender], laneRows] = await Promise.all([
    db.select().from(devices).where(and(eq(devices.site, site), eq(devices.device, batch.device), isNotNull(devices.provisionedAt))),
    named.length ? db.select().from(lanes).where(and(eq(lanes.site, site), inArray(lanes.lane, named))) : Promise.resolve([]),
  ]);
  const laneOf = (lane: string) => laneRows.find((l) => l.lane === lane)?.rules;
  const checked = batch.entries.map((e) => ({ e, why: checkEntry(e, sender, laneOf, now.getTime(), limits) }));
  const good = checked.filter((c) => !c.why).map((c) => c.e);
  const bad = checked.filter((c) => c.why) as { e: (typeof checked)[number]['e']; why: EntryRefusal }[];
  return db.transaction(async (tx) => {
    // One writer per stream at a time, so two deliveries of one batch cannot race the watermark;
    // then the tickets (sorted: no deadlock between two batches), so concurrent batches from two
    // gates touching one ticket see each other's entries when they count its use.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${batch.device + '/' + batch.epoch})),
      (select count(pg_advisory_xact_lock(h)) from (select distinct hashtext('ticket/' || id) h from unnest(${pgArray(touchedIds)}::text[]) id order by h) s)`);

    const use = good.length === 0 ? [] : await insertAndCount(tx, site, batch.device, good, now);
    const inserted = use[0]?.inserted ?? 0;
    if (bad.length) {
      const kept = await rows<{ nonce: string }>(tx, sql`
        insert into ${refusedEntries} (nonce, site, device, reason, ticket_id, lane, venue, direction, kind, persons, device_time, corrected_time, received_at)
        select n, ${site}::text, ${batch.device}::text, r, t, l, v, d, k, p, to_timestamp(dt / 1000.0), to_timestamp(ct / 1000.0), ${now.toISOString()}::timestamptz
        from unnest(${pgArray(bad.map((b) => b.e.nonce))}::uuid[], ${pgArray(bad.map((b) => b.why))}::text[], ${pgArray(bad.map((b) => b.e.ticketId))}::uuid[],
          ${pgArray(bad.map((b) => b.e.lane))}::text[], ${pgArray(bad.map((b) => b.e.venue))}::text[], ${pgArray(bad.map((b) => b.e.direction))}::text[],
          ${pgArray(bad.map((b) => b.e.kind))}::text[], ${pgArray(bad.map((b) => b.e.persons))}::int[], ${pgArray(bad.map((b) => b.e.deviceTime))}::bigint[],
          ${pgArray(bad.map((b) => b.e.correctedTime))}::bigint[]) as u(n, r, t, l, v, d, k, p, dt, ct)
        on conflict do nothing returning nonce`);
      const last = bad[bad.length - 1]!;
      await recordRefusals(tx, site, batch.device, 'entry', kept.length, { reason: last.why, lane: last.e.lane, ticketId: last.e.ticketId, at: now.getTime() });
    }
    // The watermark moves only over contiguous sequence numbers; read and moved in one statement.
    const [stream] = await rows<{ acked_up_to: string | number }>(tx, sql`
      insert into ${deviceStreams} (device, epoch, site, acked_up_to, batches, last_seen_at)
      values (${batch.device}, ${batch.epoch}::uuid, ${site}, ${batch.firstSeq <= 1 ? batch.lastSeq : 0}, 1, ${now.toISOString()}::timestamptz)
      on conflict (device, epoch) do update set
        acked_up_to = case when ${batch.firstSeq}::bigint <= ${deviceStreams}.acked_up_to + 1 then greatest(${deviceStreams}.acked_up_to, ${batch.lastSeq}::bigint) else ${deviceStreams}.acked_up_to end,
        batches = ${deviceStreams}.batches + 1, last_seen_at = excluded.last_seen_at
      returning acked_up_to`);
    await recordOverUse(tx, site, use.filter((u) => u.id !== null), now);
    // A booked ticket's first entry tells the channel that sold it (cloud/channels/notices.ts), in this transaction.
    const admitted = new Set(use[0]?.admitted ?? []);
    await queueRedemptions(tx, site, good.filter((e) => admitted.has(e.nonce.toLowerCase()))
      .map((e) => ({ ticketId: e.ticketId!, at: e.correctedTime, lane: e.lane, device: batch.device, persons: e.persons })), now);
    return { ackedUpTo: Number(stream!.acked_up_to), inserted, refused: bad.map(({ e, why }) => ({ nonce: e.nonce, reason: why, lane: e.lane })) };
  });
}

interface TicketUse {
  inserted: number;
  /** Nonces of the new normal entries in, with a ticket (the channel is told of the first). */
  admitted: string[] | null;
  /** Null on the one row of a batch that touched no limited ticket. */
  id: string | null;
  type_id: number; persons: number; entries: number; rules: unknown; venue: string; used: number; devices: string[] | null;
}

/**
 * Inserts the entries (a resent one is ignored by its nonce) in one statement, then returns,
 * per limited ticket they touched and venue, its use counted over every entry HQ holds (the
 * new ones included: a later statement of the transaction sees them). Two plain statements
 * rather than one with CTEs: PGlite plans every statement afresh, and planning the combined
 * one cost more than running both (test/bench/sync.ts, hq_ingest_*).
 */
async function insertAndCount(tx: Tx, site: string, device: string, good: readonly EntryRecord[], now: Date): Promise<TicketUse[]> {
  const col = <T extends string | number | null>(f: (e: EntryRecord) => T) => pgArray(good.map(f));
  const ins = await rows<{ nonce: string; ticket_id: string | null; kind: string; direction: string }>(tx, sql`
    insert into ${entries} (nonce, ticket_id, site, device, lane, venue, direction, kind, persons, device_time, corrected_time, received_at)
    select n, t, ${site}::text, ${device}::text, l, v, d, k, p, to_timestamp(dt / 1000.0), to_timestamp(ct / 1000.0), ${now.toISOString()}::timestamptz
    from unnest(${col((e) => e.nonce)}::uuid[], ${col((e) => e.ticketId)}::uuid[], ${col((e) => e.lane)}::text[], ${col((e) => e.venue)}::text[],
      ${col((e) => e.direction)}::text[], ${col((e) => e.kind)}::text[], ${col((e) => e.persons)}::int[], ${col((e) => e.deviceTime)}::bigint[],
      ${col((e) => e.correctedTime)}::bigint[]) as u(n, t, l, v, d, k, p, dt, ct)
    on conflict do nothing
    returning nonce, ticket_id, kind, direction`);
  const admitted = ins.filter((e) => e.kind === 'normal' && e.direction === 'in' && e.ticket_id).map((e) => e.nonce);
  const touched = [...new Set(ins.filter((e) => e.ticket_id && (e.kind === 'normal' || e.kind === 'return')).map((e) => e.ticket_id!))];
  const head = { inserted: ins.length, admitted: admitted.length ? admitted : null };
  if (!touched.length) return [{ ...head, id: null } as TicketUse];
  // Unlimited tickets (annual cards) can never be over-used: not counted.
  const used = await rows<Omit<TicketUse, 'inserted' | 'admitted'>>(tx, sql`
    select t.id, t.type_id, t.persons, t.entries, tt.rules, e.venue,
      coalesce(sum(case when e.kind = 'normal' and e.direction = 'in' then e.persons when e.kind = 'return' then -e.persons else 0 end), 0)::int used,
      array_agg(distinct e.device) filter (where e.kind = 'normal') devices
    from ${tickets} t join ${ticketTypes} tt on tt.id = t.type_id join ${entries} e on e.ticket_id = t.id
    where t.id = any(${pgArray(touched)}::uuid[]) and (t.entries > 0 or tt.rules -> 'venues' is not null)
    group by t.id, tt.id, e.venue`);
  return used.length ? used.map((u) => ({ ...head, ...u })) : [{ ...head, id: null } as TicketUse];
}

/** Tickets used beyond what they grant (shared/rules/decide.ts grantAt), recorded in one statement. */
async function recordOverUse(tx: Tx, site: string, use: TicketUse[], now: Date): Promise<void> {
  const rulesOf = new Map<number, ReturnType<typeof typeRules.parse>>();
  const over: (typeof overUse.$inferInsert)[] = [];
  for (const u of use) {
    let rules = rulesOf.get(u.type_id);
    if (!rules) rulesOf.set(u.type_id, (rules = typeRules.parse(u.rules)));
    const facts = { ticketId: u.id!, typeId: u.type_id, validFrom: 0, validUntil: 0, persons: u.persons, entries: u.entries };
    const grant = grantAt(facts, rules, u.venue);
    if (!grant) continue; // unlimited, or not granted at all (then the gate refused it)
    const allowed = u.persons * grant;
    if (u.used <= allowed) continue;
    over.push({ ticketId: u.id!, venue: u.venue, site, allowed, used: u.used, devices: u.devices ?? [], firstFoundAt: now, updatedAt: now });
  }
  if (!over.length) return;
  await tx.insert(overUse).values(over).onConflictDoUpdate({
    target: [overUse.ticketId, overUse.venue],
    set: { used: sql`excluded.used`, devices: sql`excluded.devices`, updatedAt: sql`excluded.updated_at` },
  });
}

/** Rows of a raw statement, the same shape from PGlite and node-postgres. */
async function rows<T>(tx: Tx, q: SQL): Promise<T[]> {
  const r = (await tx.execute(q)) as unknown as { rows?: T[] } & T[];
  return r.rows ?? r;
}

/** A Postgres array literal of names, UUIDs and numbers (none holds a quote, comma or brace: checked by upBatch). */
function pgArray(values: readonly (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
}
