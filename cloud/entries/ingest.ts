import { sql, type SQL } from 'drizzle-orm';
import { checkEntry, ENTRY_LIMITS, type EntryLimits, type EntryRefusal, type SenderRecord } from '../../shared/auth/entries.ts';
import { grantAt } from '../../shared/rules/decide.ts';
import { typeRules, type LaneRules } from '../../shared/rules/model.ts';
import type { EntryRecord, UpBatch } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
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
  // Then the sender and its lanes in one lookup, and the statements' rows as one JSON parameter
  // (drizzle rendered the former templates at ~10 µs a chunk): ~20 % less per batch where
  // tickets come round again (over-use recorded), ~10 % otherwise; same run, load 8-10:
  // PGlite 24-37 ms median, 12-18 ms at best, x2.4-3.5 the baseline; Postgres x4.1. Most of
  // what is left is Postgres's own work (WebAssembly in PGlite): the inserts and their indexes.
  // What needs no lock (the sender's record and lanes, the checks) is done before the transaction.
  const { sender, laneOf } = await senderAndLanes(db, site, batch);
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
 *
 * The entries travel as one JSON parameter (`r`: the refusal, null when taken), and the text
 * is constant, split once at its `$name` parameters (parameterised): drizzle renders a
 * template at ~10 µs a chunk, and the former one (a table, a column array or a value per
 * chunk, 65 of them) cost more to render than PGlite took to plan it.
 */
const INGEST = parameterised(`
  with u as (
    select * from json_to_recordset($entries::json) as u(n uuid, t uuid, l text, v text, d text, k text, p int, dt bigint, ct bigint, r text)
  ), ins as (
    insert into entries (nonce, ticket_id, site, device, lane, venue, direction, kind, persons, device_time, corrected_time, received_at)
    select n, t, $site::text, $device::text, l, v, d, k, p, to_timestamp(dt / 1000.0), to_timestamp(ct / 1000.0), $at::timestamptz
    from u where r is null
    on conflict do nothing
    returning nonce, ticket_id, venue, device, kind, direction, persons
  ), counted as (
    insert into ticket_use (ticket_id, venue, used, devices)
    select ticket_id, venue, sum(case when kind = 'normal' and direction = 'in' then persons when kind = 'return' then -persons else 0 end)::int,
      coalesce(array_agg(distinct device order by device) filter (where kind = 'normal'), '{}')
    from ins where ticket_id is not null and kind in ('normal', 'return')
    group by ticket_id, venue order by ticket_id, venue
    on conflict (ticket_id, venue) do update set used = ticket_use.used + excluded.used,
      devices = case when excluded.devices <@ ticket_use.devices then ticket_use.devices
        else array(select distinct x from unnest(ticket_use.devices || excluded.devices) x order by x) end
    returning ticket_id, venue, used, devices
  ), kept as (
    insert into refused_entries (nonce, site, device, reason, ticket_id, lane, venue, direction, kind, persons, device_time, corrected_time, received_at)
    select n, $site::text, $device::text, r, t, l, v, d, k, p, to_timestamp(dt / 1000.0), to_timestamp(ct / 1000.0), $at::timestamptz
    from u where r is not null
    on conflict do nothing
    returning nonce
  ), stream as (
    insert into device_streams (device, epoch, site, acked_up_to, batches, last_seen_at)
    values ($device::text, $epoch::uuid, $site::text, $initial::bigint, 1, $at::timestamptz)
    on conflict (device, epoch) do update set
      acked_up_to = case when $first_seq::bigint <= device_streams.acked_up_to + 1 then greatest(device_streams.acked_up_to, $last_seq::bigint) else device_streams.acked_up_to end,
      batches = device_streams.batches + 1, last_seen_at = excluded.last_seen_at
    returning acked_up_to
  )
  select (select acked_up_to from stream) acked_up_to, (select count(*) from ins)::int inserted, (select count(*) from kept)::int refused_kept,
    (select array_agg(nonce::text) from ins where kind = 'normal' and direction = 'in' and ticket_id is not null) admitted,
    exists (select 1 from channel_webhooks) webhooks,
    (select json_agg(json_build_object('id', c.ticket_id, 'venue', c.venue, 'used', c.used, 'devices', c.devices,
        'type_id', t.type_id, 'persons', t.persons, 'entries', t.entries, 'rules', tt.rules))
      from counted c join tickets t on t.id = c.ticket_id join ticket_types tt on tt.id = t.type_id where c.used > t.persons) over_used`);

function ingestStatement(site: string, batch: UpBatch, good: readonly EntryRecord[], bad: readonly { e: EntryRecord; why: EntryRefusal }[], now: Date): SQL {
  const row = (e: EntryRecord, r: EntryRefusal | null) => ({
    n: e.nonce, t: e.ticketId, l: e.lane, v: e.venue, d: e.direction, k: e.kind, p: e.persons, dt: e.deviceTime, ct: e.correctedTime, r,
  });
  return INGEST({
    entries: JSON.stringify([...good.map((e) => row(e, null)), ...bad.map((b) => row(b.e, b.why))]),
    site, device: batch.device, at: now.toISOString(), epoch: batch.epoch,
    initial: batch.firstSeq <= 1 ? batch.lastSeq : 0, first_seq: batch.firstSeq, last_seq: batch.lastSeq,
  });
}

/**
 * The sending device's record and its named lanes' rules in one round trip (no lock needed:
 * read before the transaction). No row: HQ has not provisioned the device.
 */
async function senderAndLanes(db: Db, site: string, batch: UpBatch): Promise<{ sender: SenderRecord | undefined; laneOf: (lane: string) => LaneRules | undefined }> {
  const named = [...new Set(batch.entries.map((e) => e.lane))];
  const [row] = await rows<SenderRecord & { lane_rules: Record<string, LaneRules> }>(db, SENDER({ site, device: batch.device, lanes: pgArray(named) }));
  const rules = row?.lane_rules ?? {};
  return { sender: row, laneOf: (lane) => (Object.hasOwn(rules, lane) ? rules[lane] : undefined) };
}

const SENDER = parameterised(`
  select role, lanes, active,
    (select coalesce(json_object_agg(lane, rules), '{}') from lanes where site = $site::text and lane = any($lanes::text[])) lane_rules
  from devices where site = $site::text and device = $device::text and provisioned_at is not null`);

/** A statement's constant text with `$name` parameters, split once; called with the values. */
function parameterised(text: string): (values: Record<string, unknown>) => SQL {
  const parts = text.split(/\$([a-z_]+)/);
  const raw = parts.map((p, i) => (i % 2 === 0 ? sql.raw(p) : undefined));
  return (values) => {
    const chunks: SQL[] = [];
    parts.forEach((p, i) => {
      if (i % 2 === 0) chunks.push(raw[i]!);
      else if (!(p in values)) throw new Error(`no value for $${p}`);
      else chunks.push(sql`${values[p]}`);
    });
    return sql.join(chunks);
  };
}

/** Tickets used beyond what they grant (shared/rules/decide.ts grantAt), recorded in one statement. */
async function recordOverUse(tx: Tx, site: string, use: TicketUse[], now: Date): Promise<void> {
  const rulesOf = new Map<number, ReturnType<typeof typeRules.parse>>();
  const over: { t: string; v: string; a: number; u: number; d: string[] }[] = [];
  for (const u of use) {
    let rules = rulesOf.get(u.type_id);
    if (!rules) rulesOf.set(u.type_id, (rules = typeRules.parse(u.rules)));
    const facts = { ticketId: u.id!, typeId: u.type_id, validFrom: 0, validUntil: 0, persons: u.persons, entries: u.entries };
    const grant = grantAt(facts, rules, u.venue);
    if (!grant) continue; // unlimited, or not granted at all (then the gate refused it)
    const allowed = u.persons * grant;
    if (u.used <= allowed) continue;
    over.push({ t: u.id!, v: u.venue, a: allowed, u: u.used, d: u.devices ?? [] });
  }
  if (!over.length) return;
  // One JSON parameter, as the batch's statement: in a catch-up whose tickets come round again
  // most of a batch's tickets are over-used, and a drizzle insert renders ~7 chunks a row.
  await tx.execute(OVER_USE({ over: JSON.stringify(over), site, at: now.toISOString() }));
}

const OVER_USE = parameterised(`
  insert into over_use (ticket_id, venue, site, allowed, used, devices, first_found_at, updated_at)
  select t, v, $site::text, a, u, d, $at::timestamptz, $at::timestamptz
  from json_to_recordset($over::json) as o(t uuid, v text, a int, u int, d jsonb)
  on conflict (ticket_id, venue) do update set used = excluded.used, devices = excluded.devices, updated_at = excluded.updated_at`);

/** Rows of a raw statement, the same shape from PGlite and node-postgres. */
async function rows<T>(tx: Tx | Db, q: SQL): Promise<T[]> {
  const r = (await tx.execute(q)) as unknown as { rows?: T[] } & T[];
  return r.rows ?? r;
}

/** A Postgres array literal of names, UUIDs and numbers (none holds a quote, comma or brace: checked by upBatch). */
function pgArray(values: readonly (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
}
