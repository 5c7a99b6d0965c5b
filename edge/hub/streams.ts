import type { UpBatch } from '../../shared/sync/messages.ts';
import { packBatch, unpackBatch } from '../../shared/sync/pack.ts';
import { parseDeviceTopic, topics } from '../../shared/sync/topics.ts';
import type { HubStore } from './store.ts';
import type { UpRoute } from './topics.ts';

type Range = { first: number; last: number };
type StreamId = Pick<UpBatch, 'device' | 'epoch'>;

const keyOf = (s: StreamId) => `${s.device}/${s.epoch}`;

/**
 * The LAN devices' upload streams (device and epoch) as the hub holds them: the sequence range
 * of each queued upload, kept until HQ acknowledges the bundle that carried it, and HQ's last
 * ack of each stream. A gate re-sends from HQ's ack when that ack is late (HQ slow under load,
 * a coalescing period, an ack lost on the WAN); what it re-sends the hub already holds (and
 * owns re-sending to HQ) or HQ already has, so it is not queued, nor forwarded, again. In the
 * 120 s paced bench at load ~6, gates' re-sends forwarded again took the hub's line from ~20
 * to 47 bytes an entry and HQ's lag p99 from 12 to 50 s.
 */
export class UpStreams {
  /** Per stream: queue row id -> its range. */
  private readonly held = new Map<string, Map<number, Range>>();
  private readonly streamOfRow = new Map<number, string>();
  /** HQ's newest ack per stream (lower than before only when HQ was restored). */
  private readonly hq = new Map<string, number>();

  /** Indexes what the queue holds (the queue outlives a restart; the index is rebuilt from it). */
  constructor(private readonly store: HubStore) {
    for (const row of store.queuedUploads()) {
      const batch = readBatch(row.topic, row.payload);
      if (batch) this.hold(row.id, batch);
    }
  }

  /**
   * A LAN device's message for HQ, committed before this returns (the PUBACK to the device
   * follows). An upload keeps only the entries neither held nor at HQ (none, all, or the runs
   * between). Returns whether anything was queued and, for an upload HQ already holds in full,
   * the ack to give its device at once (the one it missed).
   */
  take(topic: string, payload: Buffer, route: UpRoute, at: number): { queued: boolean; answer?: { topic: string; payload: Buffer } } {
    const batch = readBatch(topic, payload);
    // Anything else, and an upload HQ will refuse (unreadable), goes as it came.
    if (!batch) return { queued: this.store.enqueue(topic, payload, { ...route, at }) !== undefined };
    const runs = this.fresh(batch);
    if (runs.length === 1 && runs[0] === batch) {
      const id = this.store.enqueue(topic, payload, { ...route, at });
      if (id !== undefined) this.hold(id, batch);
      return { queued: id !== undefined };
    }
    for (const run of runs) {
      const id = this.store.enqueue(topic, packBatch(run), { ...route, at });
      if (id !== undefined) this.hold(id, run);
    }
    const hq = this.hq.get(keyOf(batch));
    const answer = !runs.length && hq !== undefined && hq >= batch.lastSeq
      ? { topic: topics.upAck(parseDeviceTopic(topic)!.site, batch.device), payload: Buffer.from(JSON.stringify({ epoch: batch.epoch, upTo: hq })) }
      : undefined;
    return { queued: runs.length > 0, answer };
  }

  /** Queue rows gone (HQ acknowledged them, or a newer status replaced one). */
  release(ids: Iterable<number>): void {
    for (const id of ids) {
      const key = this.streamOfRow.get(id);
      if (key === undefined) continue;
      this.streamOfRow.delete(id);
      const rows = this.held.get(key)!;
      rows.delete(id);
      if (!rows.size) this.held.delete(key);
    }
  }

  /** HQ's ack of a stream, as its bundle ack says. */
  acked(stream: StreamId, upTo: number): void {
    this.hq.set(keyOf(stream), upTo);
  }

  /** HQ holds this row's entries (an upload whose stream HQ acked past its end). */
  atHq(id: number): boolean {
    const key = this.streamOfRow.get(id);
    if (key === undefined) return false;
    const range = this.held.get(key)!.get(id)!;
    return (this.hq.get(key) ?? 0) >= range.last;
  }

  /**
   * A held upload HQ lacks behind a gap in its stream at HQ that another held row (not in
   * `except`) fills: worth sending again once that row has gone. Any other upload HQ acked
   * short of is the gate's to send again (HQ took its entries; its ack counts contiguous ones).
   */
  behindGap(id: number, except: ReadonlySet<number>): boolean {
    const key = this.streamOfRow.get(id);
    if (key === undefined) return false;
    const rows = this.held.get(key)!;
    const hq = this.hq.get(key) ?? 0;
    if (hq >= rows.get(id)!.last) return false;
    for (const [other, r] of rows) if (!except.has(other) && r.first <= hq + 1 && hq + 1 <= r.last) return true;
    return false;
  }

  private hold(id: number, batch: UpBatch): void {
    const key = keyOf(batch);
    let rows = this.held.get(key);
    if (!rows) this.held.set(key, (rows = new Map()));
    rows.set(id, { first: batch.firstSeq, last: batch.lastSeq });
    this.streamOfRow.set(id, key);
  }

  /** The runs of `batch` neither held nor at HQ: [batch] itself when nothing of it is. */
  private fresh(batch: UpBatch): UpBatch[] {
    const key = keyOf(batch);
    const hq = this.hq.get(key) ?? 0;
    const ranges = [...(this.held.get(key)?.values() ?? [])];
    const covered = (seq: number) => seq <= hq || ranges.some((r) => r.first <= seq && seq <= r.last);
    const runs: UpBatch[] = [];
    let start: number | undefined;
    for (let seq = batch.firstSeq; seq <= batch.lastSeq + 1; seq++) {
      const keep = seq <= batch.lastSeq && !covered(seq);
      if (keep && start === undefined) start = seq;
      if (!keep && start !== undefined) {
        runs.push({ ...batch, firstSeq: start, lastSeq: seq - 1, entries: batch.entries.slice(start - batch.firstSeq, seq - batch.firstSeq) });
        start = undefined;
      }
    }
    return runs.length === 1 && runs[0]!.firstSeq === batch.firstSeq && runs[0]!.lastSeq === batch.lastSeq ? [batch] : runs;
  }
}

/** A device's upload, if the topic is one and the payload reads as its batch. */
function readBatch(topic: string, payload: Buffer): UpBatch | undefined {
  const t = parseDeviceTopic(topic);
  if (t?.kind !== 'up') return undefined;
  try {
    const batch = unpackBatch(payload);
    return batch.device === t.device ? batch : undefined;
  } catch {
    return undefined;
  }
}
