/**
 * Hands messages to the MQTT client in priority order under a bandwidth cap, so a backlog of
 * entries after an outage never takes the whole ADSL line from the ticket windows, and an
 * alarm or a mode report never waits behind that backlog.
 *
 * Priority 0: alarms, mode reports, command responses. 1: entry batches (pulled lazily from
 * the outbox, only when nothing more urgent waits). 2: telemetry (lane status).
 */
export type Priority = 0 | 1 | 2;

export interface Outgoing {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1;
  retain?: boolean;
  /** Called when the broker has it (QoS 1: PUBACK), or with the error. */
  onSent?: (err?: Error) => void;
}

/** MQTT fixed header, topic length field and packet id: a few bytes on top of topic and payload. */
const OVERHEAD = 6;

export class Sender {
  private readonly queues: [Outgoing[], Outgoing[]] = [[], []];
  private tokens: number;
  private last: number;
  private timer: NodeJS.Timeout | undefined;
  bytesSent = 0;

  constructor(private readonly opts: {
    /** Cap in kbit/s; 0 = none. */
    kbps: number;
    /** Bytes that may go at once (the bucket's depth). */
    burstBytes?: number;
    send: (m: Outgoing) => void;
    /** Asked for the next entry batch when the line has room and nothing urgent waits. */
    nextBatch: () => Outgoing | undefined;
    canSend: () => boolean;
    now: () => number;
  }) {
    this.tokens = this.burst;
    this.last = opts.now();
  }

  private get burst(): number { return this.opts.burstBytes ?? 8192; }

  /** Queues a message of priority 0 or 2; last-value topics (status) replace a queued older one. */
  push(priority: 0 | 2, m: Outgoing, replaceSameTopic = false): void {
    const q = this.queues[priority === 0 ? 0 : 1];
    if (replaceSameTopic) {
      const i = q.findIndex((x) => x.topic === m.topic);
      if (i >= 0) q.splice(i, 1);
    }
    q.push(m);
    this.flush();
  }

  /** Sends what the cap allows now; schedules itself for the rest. */
  flush(): void {
    if (this.timer || !this.opts.canSend()) return;
    for (;;) {
      const m = this.queues[0][0] ?? this.peekBatch() ?? this.queues[1][0];
      if (!m) return;
      const size = this.size(m);
      if (this.opts.kbps > 0) {
        this.refill();
        if (this.tokens < Math.min(size, this.burst)) {
          const waitMs = Math.ceil(((Math.min(size, this.burst) - this.tokens) * 8) / this.opts.kbps);
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.flush();
          }, waitMs);
          return;
        }
        this.tokens -= size;
      }
      this.take(m);
      this.bytesSent += size;
      this.opts.send(m);
      if (!this.opts.canSend()) return;
    }
  }

  /** Drops queued messages (on disconnect: entries re-send from the outbox; status is re-made). */
  clear(): void {
    this.queues[0].length = 0;
    this.queues[1].length = 0;
    this.pendingBatch = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  stop(): void { this.clear(); }

  private pendingBatch: Outgoing | undefined;

  private peekBatch(): Outgoing | undefined {
    this.pendingBatch ??= this.opts.nextBatch();
    return this.pendingBatch;
  }

  private take(m: Outgoing): void {
    if (this.queues[0][0] === m) this.queues[0].shift();
    else if (this.pendingBatch === m) this.pendingBatch = undefined;
    else this.queues[1].shift();
  }

  private size(m: Outgoing): number {
    return Buffer.byteLength(m.topic) + (typeof m.payload === 'string' ? Buffer.byteLength(m.payload) : m.payload.length) + OVERHEAD;
  }

  private refill(): void {
    const now = this.opts.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.opts.kbps) / 8);
    this.last = now;
  }
}
