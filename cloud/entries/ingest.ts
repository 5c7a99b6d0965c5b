import { and, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import { checkEntry, ENTRY_LIMITS, type EntryLimits, type EntryRefusal } from '../../shared/auth/entries.ts';
import { grantAt } from '../../shared/rules/decide.ts';
import { typeRules } from '../../shared/rules/model.ts';
import type { EntryRecord, UpBatch } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
import { channelWebhooks, devices, deviceStreams, entries, lanes, overUse, refusedEntries, tickets, ticketTypes, ticketUse } from '../db/schema/index.ts';
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
  // Measured (test/bench/sync.ts, BENCH_ONLY=ingest, PGlite, CPU time per 200-entry batch):
  // the statements themselves cost little to plan; what cost was the work and the rows handed
  // back to JavaScript (~20 µs a value in PGlite): the entries returned by the insert, every
  // touched ticket's recount with its type's rules, and a statement per step. So the entries,
  // the refused ones, the ticket use and the stream's watermark go in one statement that
  // returns one row, the use is a running counter (ticket_use) rather than a recount, and only
  // tickets used more than once per person come back to be checked for over-use. Against the
  // pre-issue-18 ingest in the same run (2 cores at load 15-20): x1.5 before, x2.7-3.0 after
  // on PGlite, x4.1 on Postgres (medians per 200-entry batch; the x10 is not reached:
  // the insert of 200 rows and their three indexes alone cost PGlite ~4 ms of CPU here).
  // What needs no lock (the sender's record and lanes, the checks) is done before the transaction.
  const named = [...new Set(batch.entries.map((e) => e.lane))];
  const [[sender], laneRows] = await Promise.all([
    db.select().from(devices).where(and(eq(devices.site, site), eq(devices.device, batch.device), isNotNull(devices.provisionedAt))),
    named.length ? db.select().from(lanes).where(and(eq(lanes.site, site), inArray(lanes.lane, named))) : Promise.resolve([]),
  ]);
  const laneOf = (lane: string) => laneRows.find((l) => l.lane === lane)?.rules;
  const good: EntryRecord[] = [];
  const bad: { e: EntryRecord; why: EntryRefusal }[] = [];
  for (const e of batch.entries) {
    const why = checkEntry(e, sender, laneOf, now.getTime(), limits);
    if (why) bad.push({ e, why });
    else good.push(e);
  }
  return db.transaction(async (tx) => {
    const [out] = await rows<Outcome>(tx, ingestStatement(site, batch, good, bad, now));
    const o = out!;
    if (o.refused_kept > 0) {
      const last = bad[bad.length - 1]!;
      await recordRefusals(tx, site, batch.device, 'entry', o.refused_kept, { reason: last.why, lane: last.e.lane, ticketId: last.e.ticketId, at: now.getTime() });
    }
    await recordOverUse(tx, site, o.over_used ?? [], now);
    // A booked ticket's first entry tells the channel that sold it (cloud/channels/notices.ts), in this transaction.
    const admitted = new Set((o.admitted ?? []).map((n) => n.toLowerCase()));
    // Only channels with a webhook are told: with none, the lookup of who sold the tickets is skipped.
    if (admitted.size && o.webhooks) {
      await queueRedemptions(tx, site, good.filter((e) => admitted.has(e.nonce.toLowerCase()))
        .map((e) => ({ ticketId: e.ticketId!, at: e.correctedTime, lane: e.lane, device: batch.device, persons: e.persons })), now);
    }
    return { ackedUpTo: Number(o.acked_up_to), inserted: o.inserted, refused: bad.map(({ e, why }) => ({ nonce: e.nonce, reason: why, lane: e.lane })) };
  });
}

interface Outcome {
  acked_up_to: string | number;
  inserted: number;
  refused_kept: number;
  /** Nonces of the new normal entries in, with a ticket (the channel is told of the first). */
  admitted: string[] | null;
  /** Some channel has a webhook (cloud/channels/notices.ts). */
  webhooks: boolean;
  /** Tickets this batch used more than once a person, with their use now (null: none). */
  over_used: TicketUse[] | null;
}

interface TicketUse {
  id: string; venue: string; used: number; devices: string[];
  type_id: number; persons: number; entries: number; rules: unknown;
}

/**
 * The batch in one statement: entries in (a resent one is ignored by its nonce), refused
 * ones kept (once each), the use of what was inserted added to each ticket's counter, the
 * stream's watermark moved over contiguous sequence numbers. No advisory lock: the inserts
 * skip what a concurrent delivery of the same batch inserted (waiting for it to commit), the
 * counter and the watermark are upserts that add to the latest committed row under its row
 * lock, and counters are taken in ticket order, so two batches sharing tickets cannot
 * deadlock and the second sees the first's use. A ticket can only be over-used once its use
 * exceeds one entry a person (every grant is a whole number of entries a person), so only
 * those come back, with their facts, for grantAt to judge (recordOverUse).
 */
function ingestStatement(site: string, batch: UpBatch, good: readonly EntryRecord[], bad: readonly { e: EntryRecord; why: EntryRefusal }[], now: Date): SQL {
  const col = <T extends string | number | null>(xs: readonly EntryRecord[], f: (e: EntryRecord) => T) => pgArray(xs.map(f));
  const g = <T extends string | number | null>(f: (e: EntryRecord) => T) => col(good, f);
  const badEntries = bad.map((b) => b.e);
  const b = <T extends string | number | null>(f: (e: EntryRecord) => T) => col(badEntries, f);
  const at = now.toISOString();
  return sql`
    with ins as (
      insert into ${entries} (nonce, ticket_id, site, device, lane, venue, direction, kind, persons, device_time, corrected_time, received_at)
      select n, t, ${site}::text, ${batch.device}::text, l, v, d, k, p, to_timestamp(dt / 1000.0), to_timestamp(ct / 1000.0), ${at}::timestamptz
      from unnest(${g((e) => e.nonce)}::uuid[], ${g((e) => e.ticketId)}::uuid[], ${g((e) => e.lane)}::text[], ${g((e) => e.venue)}::text[],
        ${g((e) => e.direction)}::text[], ${g((e) => e.kind)}::text[], ${g((e) => e.persons)}::int[], ${g((e) => e.deviceTime)}::bigint[],
        ${g((e) => e.correctedTime)}::bigint[]) as u(n, t, l, v, d, k, p, dt, ct)
      on conflict do nothing
      returning nonce, ticket_id, venue, device, kind, direction, persons
    ), counted as (
      insert into ${ticketUse} (ticket_id, venue, used, devices)
      select ticket_id, venue, sum(case when kind = 'normal' and direction = 'in' then persons when kind = 'return' then -persons else 0 end)::int,
        coalesce(array_agg(distinct device order by device) filter (where kind = 'normal'), '{}')
      from ins where ticket_id is not null and kind in ('normal', 'return')
      group by ticket_id, venue order by ticket_id, venue
      on conflict (ticket_id, venue) do update set used = ${ticketUse}.used + excluded.used,
        devices = case when excluded.devices <@ ${ticketUse}.devices then ${ticketUse}.devices
          else array(select distinct x from unnest(${ticketUse}.devices || excluded.devices) x order by x) end
      returning ticket_id, venue, used, devices
    ), kept as (
      insert into ${refusedEntries} (nonce, site, device, reason, ticket_id, lane, venue, direction, kind, persons, device_time, corrected_time, received_at)
      select n, ${site}::text, ${batch.device}::text, r, t, l, v, d, k, p, to_timestamp(dt / 1000.0), to_timestamp(ct / 1000.0), ${at}::timestamptz
      from unnest(${b((e) => e.nonce)}::uuid[], ${pgArray(bad.map((x) => x.why))}::text[], ${b((e) => e.ticketId)}::uuid[],
        ${b((e) => e.lane)}::text[], ${b((e) => e.venue)}::text[], ${b((e) => e.direction)}::text[],
        ${b((e) => e.kind)}::text[], ${b((e) => e.persons)}::int[], ${b((e) => e.deviceTime)}::bigint[],
        ${b((e) => e.correctedTime)}::bigint[]) as u(n, r, t, l, v, d, k, p, dt, ct)
      on conflict do nothing
      returning nonce
    ), stream as (
      insert into ${deviceStreams} (device, epoch, site, acked_up_to, batches, last_seen_at)
      values (${batch.device}, ${batch.epoch}::uuid, ${site}, ${batch.firstSeq <= 1 ? batch.lastSeq : 0}, 1, ${at}::timestamptz)
      on conflict (device, epoch) do update set
        acked_up_to = case when ${batch.firstSeq}::bigint <= ${deviceStreams}.acked_up_to + 1 then greatest(${deviceStreams}.acked_up_to, ${batch.lastSeq}::bigint) else ${deviceStreams}.acked_up_to end,
        batches = ${deviceStreams}.batches + 1, last_seen_at = excluded.last_seen_at
      returning acked_up_to
    )
    select (select acked_up_to from stream) acked_up_to, (select count(*) from ins)::int inserted, (select count(*) from kept)::int refused_kept,
      (select array_agg(nonce::text) from ins where kind = 'normal' and direction = 'in' and ticket_id is not null) admitted,
      exists (select 1 from ${channelWebhooks}) webhooks,
      (select json_agg(json_build_object('id', c.ticket_id, 'venue', c.venue, 'used', c.used, 'devices', c.devices,
          'type_id', t.type_id, 'persons', t.persons, 'entries', t.entries, 'rules', tt.rules))
        from counted c join ${tickets} t on t.id = c.ticket_id join ${ticketTypes} tt on tt.id = t.type_id where c.used > t.persons) over_used`;
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
