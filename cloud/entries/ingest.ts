import { and, eq, sql } from 'drizzle-orm';
import type { UpBatch } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
import { deviceStreams, entries } from '../db/schema/index.ts';

/**
 * Ingests one uploaded batch. Idempotent twice over: an entry's nonce is its primary key
 * (a re-sent entry is ignored), and the stream's watermark only moves over contiguous
 * sequence numbers, so a gap makes HQ ack less and the device re-send from there.
 * Returns the sequence number HQ acknowledges up to.
 */
export async function ingestBatch(db: Db, site: string, batch: UpBatch, now = new Date()): Promise<{ ackedUpTo: number; inserted: number }> {
  return db.transaction(async (tx) => {
    // One writer per stream at a time, so two deliveries of one batch cannot race the watermark.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${batch.device + '/' + batch.epoch}))`);
    const inserted = batch.entries.length === 0 ? [] : await tx.insert(entries).values(batch.entries.map((e) => ({
      nonce: e.nonce, ticketId: e.ticketId, site, device: batch.device, lane: e.lane, direction: e.direction,
      kind: e.kind, persons: e.persons, deviceTime: new Date(e.deviceTime), correctedTime: new Date(e.correctedTime),
      receivedAt: now,
    }))).onConflictDoNothing().returning({ nonce: entries.nonce });
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
    return { ackedUpTo, inserted: inserted.length };
  });
}
