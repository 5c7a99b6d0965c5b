import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { checkEntry, ENTRY_LIMITS, type EntryLimits, type EntryRefusal } from '../../shared/auth/entries.ts';
import { grantAt } from '../../shared/rules/decide.ts';
import { typeRules } from '../../shared/rules/model.ts';
import type { UpBatch } from '../../shared/sync/messages.ts';
import type { Db } from '../../cloud/db/open.ts';
import { devices, deviceStreams, entries, lanes, overUse, refusedEntries, tickets, ticketTypes } from '../../cloud/db/schema/index.ts';
import { recordRefusals } from '../../cloud/devices/service.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

interface IngestResult {
  ackedUpTo: number;
  inserted: number;
  /** Entries not taken, newly or again, with why (shared/auth/entries.ts). */
  refused: { nonce: string; reason: EntryRefusal; lane: string }[];
}

/**
 * THE BASELINE of test/bench/sync.ts: cloud/entries/ingest.ts as it was before issue 18
 * (drizzle's multi-row insert with a parameter per value, one query per step, the over-use
 * check with a parameter per ticket), kept to measure the new one against in the same run.
 *
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
export async function ingestBatchBaseline(db: Db, site: string, batch: UpBatch, now = new Date(), limits: EntryLimits = ENTRY_LIMITS): Promise<IngestResult> {
  return db.transaction(async (tx) => {
    // One writer per stream at a time, so two deliveries of one batch cannot race the watermark.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${batch.device + '/' + batch.epoch}))`);
    const [sender] = await tx.select().from(devices).where(and(eq(devices.site, site), eq(devices.device, batch.device), isNotNull(devices.provisionedAt)));
    const named = [...new Set(batch.entries.map((e) => e.lane))];
    const laneRows = named.length ? await tx.select().from(lanes).where(and(eq(lanes.site, site), inArray(lanes.lane, named))) : [];
    const laneOf = (lane: string) => laneRows.find((l) => l.lane === lane)?.rules;
    const checked = batch.entries.map((e) => ({ e, why: checkEntry(e, sender, laneOf, now.getTime(), limits) }));
    const good = checked.filter((c) => !c.why).map((c) => c.e);
    const bad = checked.filter((c) => c.why) as { e: (typeof checked)[number]['e']; why: EntryRefusal }[];

    const inserted = good.length === 0 ? [] : await tx.insert(entries).values(good.map((e) => ({
      nonce: e.nonce, ticketId: e.ticketId, site, device: batch.device, lane: e.lane, venue: e.venue, direction: e.direction,
      kind: e.kind, persons: e.persons, deviceTime: new Date(e.deviceTime), correctedTime: new Date(e.correctedTime),
      receivedAt: now,
    }))).onConflictDoNothing().returning({ nonce: entries.nonce, ticketId: entries.ticketId, kind: entries.kind });
    if (bad.length) {
      const kept = await tx.insert(refusedEntries).values(bad.map(({ e, why }) => ({
        nonce: e.nonce, site, device: batch.device, reason: why, ticketId: e.ticketId, lane: e.lane, venue: e.venue, direction: e.direction,
        kind: e.kind, persons: e.persons, deviceTime: new Date(e.deviceTime), correctedTime: new Date(e.correctedTime), receivedAt: now,
      }))).onConflictDoNothing().returning({ nonce: refusedEntries.nonce });
      const last = bad[bad.length - 1]!;
      await recordRefusals(tx, site, batch.device, 'entry', kept.length, { reason: last.why, lane: last.e.lane, ticketId: last.e.ticketId, at: now.getTime() });
    }
    const [stream] = await tx.select().from(deviceStreams)
      .where(and(eq(deviceStreams.device, batch.device), eq(deviceStreams.epoch, batch.epoch)));
    const held = stream?.ackedUpTo ?? 0;
    const ackedUpTo = batch.firstSeq <= held + 1 ? Math.max(held, batch.lastSeq) : held;
    await tx.insert(deviceStreams)
      .values({ device: batch.device, epoch: batch.epoch, site, ackedUpTo, batches: 1, lastSeenAt: now })
      .onConflictDoUpdate({
        target: [deviceStreams.device, deviceStreams.epoch],
        set: { ackedUpTo, batches: sql`${deviceStreams.batches} + 1`, lastSeenAt: now },
      });
    const touched = [...new Set(inserted.filter((e) => e.ticketId && (e.kind === 'normal' || e.kind === 'return')).map((e) => e.ticketId!))];
    if (touched.length) await checkOverUse(tx, site, touched, now);
    return { ackedUpTo, inserted: inserted.length, refused: bad.map(({ e, why }) => ({ nonce: e.nonce, reason: why, lane: e.lane })) };
  });
}

async function checkOverUse(tx: Tx, site: string, ticketIds: string[], now: Date): Promise<void> {
  const known = (await tx.select({ t: tickets, rules: ticketTypes.rules }).from(tickets)
    .innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId)).where(inArray(tickets.id, ticketIds)))
    // Unlimited tickets (annual cards) can never be over-used: no need to count them.
    .filter((k) => k.t.entries > 0 || (k.rules as { venues?: unknown }).venues !== undefined);
  if (known.length === 0) return;
  ticketIds = known.map((k) => k.t.id);
  // Concurrent batches from two gates touching one ticket must see each other's entries.
  // One statement, locks taken in sorted order: fast, and no deadlock between two batches.
  await tx.execute(sql`select count(pg_advisory_xact_lock(h)) from (select distinct hashtext('ticket/' || id) h from unnest(${`{${ticketIds.join(',')}}`}::text[]) id order by h) s`);
  const usage = await tx.select({
    ticketId: entries.ticketId, venue: entries.venue,
    used: sql<number>`coalesce(sum(case when ${entries.kind} = 'normal' and ${entries.direction} = 'in' then ${entries.persons} when ${entries.kind} = 'return' then -${entries.persons} else 0 end), 0)::int`,
    devices: sql<string[]>`array_agg(distinct ${entries.device}) filter (where ${entries.kind} = 'normal')`,
  }).from(entries).where(inArray(entries.ticketId, ticketIds)).groupBy(entries.ticketId, entries.venue);
  for (const u of usage) {
    const row = known.find((k) => k.t.id === u.ticketId);
    if (!row) continue; // sold elsewhere (an offline hub): nothing here to compare with
    const facts = { ticketId: row.t.id, typeId: row.t.typeId, validFrom: 0, validUntil: 0, persons: row.t.persons, entries: row.t.entries };
    const grant = grantAt(facts, typeRules.parse(row.rules), u.venue);
    if (!grant) continue; // unlimited, or not granted at all (then the gate refused it)
    const allowed = row.t.persons * grant;
    if (u.used <= allowed) continue;
    await tx.insert(overUse).values({ ticketId: row.t.id, venue: u.venue, site, allowed, used: u.used, devices: u.devices ?? [], firstFoundAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: [overUse.ticketId, overUse.venue], set: { used: u.used, devices: u.devices ?? [], updatedAt: now } });
  }
}
