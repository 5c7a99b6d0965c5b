import type { PassageEvent, Turnstile } from '../../hardware/turnstile/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { LaneRules } from '../../shared/rules/model.ts';
import type { EntryRecord } from '../../shared/sync/messages.ts';
import type { GateStore } from './store.ts';

export type EntryFields = Pick<EntryRecord, 'ticketId' | 'persons' | 'venue' | 'direction' | 'kind'>;

/**
 * Record and release: every admission is appended to the passage log with its outbox row
 * (durable before the leaves move), then the leaves open for the persons admitted, one
 * group at a time; passages nobody used before the timeout are given back as a `return`
 * entry. In an emergency the leaves stand open and every passage is logged as kind emergency.
 */
export class Passages {
  readonly counters = { passed: 0, returned: 0, forced: 0 };
  private queue: Promise<unknown> = Promise.resolve();
  /** Emergency passages already logged by a scan, not yet seen by the sensor (expiry times). */
  private scanned: number[] = [];

  constructor(private readonly o: {
    store: GateStore; turnstile: Turnstile; device: string; lane: string;
    laneRules: () => LaneRules; passTimeoutMs: number; now: () => number; log: Logger;
    /** The outbox grew by this entry (its outbox sequence number): send. */
    pump: (entry: EntryRecord, seq: number) => void;
    /** Something the lane status shows changed (an error: its text). */
    changed: (error?: string) => void;
  }) {}

  /** Appends a passage of this gate's lane and queues it for upload, in one transaction. */
  record(e: EntryFields): EntryRecord {
    const now = this.o.now();
    const offset = Number(this.o.store.meta('clock_offset') ?? 0);
    const entry = this.o.store.recordEntry({ device: this.o.device, lane: this.o.lane, deviceTime: now, correctedTime: now + offset, ...e });
    this.o.pump(entry, entry.seq);
    return entry;
  }

  /** An admission: recorded, then the leaves open for it. */
  admit(e: EntryFields): EntryRecord {
    const entry = this.record(e);
    this.release(entry);
    return entry;
  }

  /**
   * A credential shown while the gates stand open: logged as an emergency passage at once
   * (the leaves are open already), and the sensor's next passage is taken as that person's.
   */
  emergency(e: Omit<EntryFields, 'kind'>): EntryRecord {
    const entry = this.record({ ...e, kind: 'emergency' });
    const until = this.o.now() + this.o.passTimeoutMs;
    for (let i = 0; i < e.persons; i++) this.scanned.push(until);
    return entry;
  }

  /** The passage sensor saw someone go through. */
  sensed(e: PassageEvent, emergency: boolean): void {
    if (e.authorized) this.counters.passed++;
    else if (emergency) {
      const now = this.o.now();
      this.scanned = this.scanned.filter((t) => t > now);
      if (this.scanned.length) this.scanned.shift(); // logged by its scan already
      else this.record({ ticketId: null, persons: 1, venue: this.o.laneRules().venue, direction: e.direction ?? 'in', kind: 'emergency' });
    } else {
      this.counters.forced++;
      this.o.log.warn({ direction: e.direction }, 'passage without release (tailgating or forced)');
      this.o.changed('forced passage');
      return;
    }
    this.o.changed();
  }

  /** Resolves when the leaves have done what was asked of them so far. */
  settled(): Promise<void> {
    return this.queue.then(() => undefined, () => undefined);
  }

  private release(entry: EntryRecord): void {
    const timeout = this.o.passTimeoutMs * (this.o.laneRules().accessible ? 2 : 1);
    this.queue = this.queue.then(async () => {
      const { passed } = await this.o.turnstile.open(entry.direction, entry.persons, timeout);
      const unused = entry.persons - passed;
      if (unused > 0 && (entry.kind === 'normal' || entry.kind === 'reentry')) {
        this.record({ ticketId: entry.ticketId, persons: unused, venue: entry.venue, direction: entry.direction, kind: 'return' });
        this.counters.returned += unused;
        this.o.changed();
      }
    }).catch((err: Error) => {
      this.o.log.error({ err: err.message }, 'turnstile failed');
      this.o.changed(`turnstile: ${err.message}`);
    });
  }
}
