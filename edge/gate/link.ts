import type { DeviceCredential } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { commandRequest, desiredMode, upAck, type CommandRequest, type DesiredMode, type EntryRecord, type LaneStatus, type ReportedMode, type UpBatch } from '../../shared/sync/messages.ts';
import { parseDeviceTopic, topics } from '../../shared/sync/topics.ts';
import { packBatch, unpackBatch } from '../../shared/sync/pack.ts';
import { MqttSession } from '../../shared/sync/session.ts';
import { Sender, type Outgoing } from './sender.ts';
import type { GateStore } from './store.ts';

/**
 * Catch-up batches allowed in flight beyond the last ack. A batch's round trip is its own
 * time on the line, the line's 150 ms, HQ's ingest and the ack: ~0.4 s for a 1,000-entry
 * batch (~12 KB, 0.2 s) on 512 kbit/s, so three keep the line busy. (With 200-entry batches,
 * 4 in flight left the line idle a fifth of the time: 10,000 entries took 4.9 s against a
 * 2.4 s line floor; with 8, 3.3 s.)
 *
 * A catch-up's batches are `catchupBatchSize` (1,000) entries, as large as HQ takes: HQ's
 * cost of a batch is mostly its own (a transaction, the stream's row, the statement): on
 * PGlite 200 entries cost ~12 ms and 1,000 ~33 ms, so a catch-up stays bound by the line on a
 * busy HQ. Out of a catch-up batches keep `batchSize`.
 */
const WINDOW = 3;
const MAX_MESSAGE = 1 << 20;
/** A PUBACK later than this: hold further batches until it comes (a full window, three 1,000-entry batches, crosses 512 kbit/s in ~0.6 s). */
const SUSPECT_MS = 1_000;

export interface LinkHandlers {
  onConnect(): void;
  onNotify(): void;
  onDesired(d: DesiredMode): void;
  onSiblingEntries(device: string, entries: EntryRecord[]): void;
  onCommand(req: CommandRequest): void;
}

/**
 * The gate's uplink over its MQTT session (shared/sync/session.ts). Up: sends the outbox
 * over QoS 1 and forgets rows only when HQ acks "up to N"; after a reconnect, or when acks
 * stop coming, it re-sends from the last ack (HQ ingests idempotently, so re-sending is
 * always safe and losing is never possible). Down: the doorbell, desired modes, and
 * siblings' entries (to share them on the site).
 *
 * At a visitor's pace, entries for HQ are coalesced: a batch leaves when it is full or when
 * its oldest entry is `coalesceMs` old, since every message costs its MQTT and TCP/IP
 * headers, HQ's ack and the acks of both, several times the ~20 bytes of an entry. What
 * siblings need to decide goes at once in a small `sib` message when `liveSiblings` is on
 * (behind a site hub, whose LAN carries it and keeps it off the WAN).
 *
 * A silently dead line (no FIN) is noticed by the broker's PUBACK not coming within
 * `pubackTimeoutMs` while a batch is out, well before keepalive would: the connection is
 * dropped and made again, and the outbox re-sends what the broker never confirmed, once. Out
 * of a catch-up, one batch at a time is unconfirmed, so the dead line swallowed one at most.
 */
export class Link {
  private readonly session: MqttSession;
  private sentUpTo = 0;
  /** Highest batch the broker acknowledged on this connection: an ack from HQ beyond it is not believed. */
  private confirmedUpTo = 0;
  private lastProgressAt = 0;
  /** When HQ first acked less than it had acked before (see onBehind). */
  private behindSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private coalesceTimer: NodeJS.Timeout | undefined;
  /** A full batch waited behind the last batch sent: the next may go before that one's PUBACK (a catch-up). */
  private catchingUp = false;
  /** Batches published and not yet PUBACKed by the broker: when each went out. */
  private readonly unconfirmed = new Map<number, number>();
  private readonly sender: Sender;
  /** Connections dropped because the line went silent, since start. */
  deadLinks = 0;
  /** Own uploads the broker sent back (none on the built-in brokers, nor on MQTT 5 with No Local), since start. */
  echoes = 0;
  /** Bytes of entry batches handed to the line (MQTT packets: topic, payload, header), since start. */
  upBytesSent = 0;

  constructor(private readonly opts: {
    store: GateStore; url: string; site: string; device: string; batchSize: number; catchupBatchSize: number; ackTimeoutMs: number;
    /** Up-link cap in kbit/s; 0 = none. */
    uplinkKbps: number;
    /** A batch for HQ leaves when full or when its oldest entry is this old; 0 = at once. */
    coalesceMs: number;
    /** Each entry also goes at once to the site's siblings (`sib`). */
    liveSiblings: boolean;
    /** A published batch without the broker's PUBACK this long means a dead line. */
    pubackTimeoutMs: number;
    keepaliveS: number;
    mqttVersion: 4 | 5;
    credential?: DeviceCredential;
    /** CA (PEM) the broker's certificate is checked against (mqtts://); absent: the system's list. */
    ca?: Buffer;
    /** After HQ forgets acknowledged uploads, own passages this recent are sent again. */
    resendHorizonMs: number;
    log: Logger; now: () => number; handlers: LinkHandlers;
  }) {
    const { site, device } = opts;
    this.session = new MqttSession({
      url: opts.url, role: 'gate', site, device, credential: opts.credential, ca: opts.ca, log: opts.log,
      // Tried again every 100 ms while down: an attempt over a dead line fails at the modem and
      // crosses nothing (behind a hub it is the LAN's broker), and the wait after the line
      // returns is part of every catch-up: half the period on average, up to all of it (at
      // 500 ms it was a tenth of a 10,000-entry catch-up, at 250 ms up to 0.47 s of 2.34, bench:sync).
      keepaliveS: opts.keepaliveS, reconnectMs: 100, protocolVersion: opts.mqttVersion,
      subscriptions: [
        topics.upAck(site, device), topics.notify(site), topics.siteDesired(site), topics.desired(site, device), topics.siteUp(site),
        topics.siteSibling(site), topics.cmdReq(site, device),
      ],
      onConnect: () => this.onConnect(),
      onClose: () => {
        opts.log.warn({}, 'link down; entries stay queued');
        this.sender.clear();
        this.unconfirmed.clear();
        this.catchingUp = false;
      },
      onMessage: (topic, payload) => this.onMessage(topic, payload),
    });
    this.sender = new Sender({
      kbps: opts.uplinkKbps, now: opts.now,
      canSend: () => this.session.connected,
      send: (m) => {
        if (!this.session.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => m.onSent?.(err))) m.onSent?.(new Error('not connected'));
      },
      nextBatch: () => this.nextBatch(),
    });
  }

  get connected(): boolean { return this.session.connected; }
  get bytesSent(): number { return this.sender.bytesSent; }

  start(): void {
    this.session.start();
    this.timer = setInterval(() => this.check(), Math.max(50, Math.floor(Math.min(this.opts.ackTimeoutMs, this.opts.pubackTimeoutMs) / 2)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.coalesceTimer);
    this.sender.stop();
    await this.session.stop();
  }

  private onConnect(): void {
    // Resume after what the broker confirmed, not after HQ's ack: a batch PUBACKed just before
    // the line died had its ack (QoS 0) lost with the line more often than not, and re-sending
    // it would cross the line twice. Should HQ lack it after all (HQ died between the two), its
    // ack stalls and the ack timeout re-sends from the ack (check()).
    this.confirmedUpTo = Math.max(this.confirmedUpTo, this.opts.store.ackedUpTo());
    this.sentUpTo = this.confirmedUpTo;
    this.catchingUp = false;
    this.lastProgressAt = this.opts.now();
    this.unconfirmed.clear();
    this.opts.log.info({ url: this.opts.url }, 'link up');
    this.opts.handlers.onConnect();
    this.pump();
  }

  /** Sends whatever is due, within the window and the cap. Cheap to call after every entry. */
  pump(): void {
    this.sender.flush();
  }

  /** A new own entry: siblings hear it at once (when live), HQ with its batch. */
  entry(e: EntryRecord, seq?: number): void {
    if (this.opts.liveSiblings && this.session.connected && seq !== undefined) {
      const { site, device, store } = this.opts;
      const batch: UpBatch = { device, epoch: store.epoch, firstSeq: seq, lastSeq: seq, entries: [e] };
      this.session.publish(topics.sibling(site, device), packBatch(batch), { qos: 0 });
    }
    this.pump();
  }

  /** The next outbox batch beyond what is in flight, packed; undefined when the window is full, nothing waits or nothing is due. */
  private nextBatch(): Outgoing | undefined {
    const { store, site, device, batchSize, catchupBatchSize, coalesceMs } = this.opts;
    if (this.sentUpTo >= store.ackedUpTo() + WINDOW * Math.max(batchSize, catchupBatchSize)) return undefined;
    // A batch the broker has not acknowledged within a second makes the line suspect: nothing
    // more goes into it until it answers (or is found dead), so a silent drop costs one window
    // of lost bytes at most, not everything made while keepalive waits.
    if (this.unconfirmed.size && this.opts.now() - Math.min(...this.unconfirmed.values()) > SUSPECT_MS) return undefined;
    // More than one batch waiting: a catch-up, in batches as large as HQ takes.
    const backlog = catchupBatchSize > batchSize && !!store.pendingAfter(this.sentUpTo + batchSize, 1, device);
    const pending = store.pendingAfter(this.sentUpTo, backlog ? catchupBatchSize : batchSize, device);
    if (!pending) return undefined;
    // Batches pipeline only to catch up (a full batch waited behind the one sent before, so the
    // last batch of a backlog goes at once too); otherwise each waits for the broker's PUBACK of
    // the one before (a quarter of a second on ADSL, well inside a rush's second per batch), so a
    // line dying silently swallows one batch, not two.
    if (this.unconfirmed.size && !this.catchingUp) return undefined;
    if (coalesceMs > 0 && pending.entries.length < batchSize) {
      const due = pending.entries[0]!.deviceTime + coalesceMs;
      const wait = due - this.opts.now();
      if (wait > 0) {
        clearTimeout(this.coalesceTimer);
        this.coalesceTimer = setTimeout(() => this.pump(), wait);
        return undefined;
      }
    }
    const batch: UpBatch = { device, epoch: store.epoch, ...pending };
    this.sentUpTo = pending.lastSeq;
    this.catchingUp = !!store.pendingAfter(pending.lastSeq + batchSize - 1, 1, device);
    const lastSeq = pending.lastSeq;
    this.unconfirmed.set(lastSeq, this.opts.now());
    const topic = topics.up(site, device);
    const payload = packBatch(batch);
    this.upBytesSent += Buffer.byteLength(topic) + payload.length + 6;
    return {
      topic, payload, qos: 1,
      onSent: (err) => {
        this.unconfirmed.delete(lastSeq);
        if (!err) this.confirmedUpTo = Math.max(this.confirmedUpTo, lastSeq);
        if (!err) this.pump(); // a held batch may go now
      },
    };
  }

  /** Telemetry: the newest status replaces an older one still waiting. */
  publishStatus(status: LaneStatus): void {
    if (!this.connected) return;
    this.sender.push(2, { topic: topics.status(this.opts.site, this.opts.device), payload: JSON.stringify(status), qos: 0, retain: true }, true);
  }

  publishReported(reported: ReportedMode): void {
    if (!this.connected) return;
    this.sender.push(0, { topic: topics.reported(this.opts.site, this.opts.device), payload: JSON.stringify(reported), qos: 1, retain: true }, true);
  }

  /** Urgent, small: alarms and command responses go before any backlog. */
  publishUrgent(topic: string, body: object, retain = false): void {
    if (!this.connected) return;
    this.sender.push(0, { topic, payload: JSON.stringify(body), qos: 1, retain });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const { site, device, store, log, handlers } = this.opts;
    if (payload.length > MAX_MESSAGE) {
      log.warn({ topic, bytes: payload.length }, 'ignored oversized message');
      return;
    }
    const t = parseDeviceTopic(topic);
    const sibling = t?.site === site && (t.kind === 'up' || t.kind === 'sib') ? t.device : undefined;
    if (sibling) {
      if (sibling === device) {
        this.echoes++;
        return;
      }
      try {
        const batch = unpackBatch(payload);
        if (batch.device !== sibling) throw new Error(`batch says device ${batch.device}`);
        handlers.onSiblingEntries(sibling, batch.entries);
      } catch (err) {
        log.warn({ topic, err: (err as Error).message }, 'ignored malformed sibling batch');
      }
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      log.warn({ topic }, 'ignored message that is not JSON');
      return;
    }
    if (topic === topics.notify(site)) return handlers.onNotify();
    if (topic === topics.siteDesired(site) || topic === topics.desired(site, device)) {
      const d = desiredMode.safeParse(body);
      if (d.success) handlers.onDesired(d.data);
      else log.warn({ topic }, 'ignored malformed desired mode');
      return;
    }
    if (topic === topics.cmdReq(site, device)) {
      const req = commandRequest.safeParse(body);
      if (req.success) handlers.onCommand(req.data);
      else log.warn({ topic }, 'ignored malformed command');
      return;
    }
    if (topic === topics.upAck(site, device)) {
      const ack = upAck.safeParse(body);
      if (!ack.success) return log.warn({ topic }, 'ignored malformed ack');
      if (ack.data.epoch !== store.epoch) return;
      if (ack.data.upTo < store.ackedUpTo()) return this.onBehind(ack.data.upTo);
      this.behindSince = undefined;
      if (ack.data.upTo > store.ackedUpTo()) {
        // Never forget rows the broker has not even received (a forged or confused ack).
        store.acknowledge(Math.min(ack.data.upTo, this.confirmedUpTo));
        this.lastProgressAt = this.opts.now();
      }
      this.pump();
    }
  }

  /**
   * HQ acks less than it acked before: it lost uploads (restored from an older backup) and
   * the gate has already forgotten them from its outbox, so the stream can never close the
   * gap. One low ack may be a stale duplicate; low acks still coming an ack timeout later
   * mean HQ really forgot: start a new stream with this gate's recent passages.
   */
  private onBehind(upTo: number): void {
    const now = this.opts.now();
    if (this.behindSince === undefined) {
      this.behindSince = now;
      return;
    }
    if (now - this.behindSince < this.opts.ackTimeoutMs) return;
    const { store, device, log } = this.opts;
    const acked = store.ackedUpTo();
    const { epoch, requeued } = store.startOver(device, now - this.opts.resendHorizonMs);
    log.warn({ hqUpTo: upTo, acked, epoch, requeued }, 'HQ has forgotten acknowledged uploads: sending recent passages again in a new stream');
    this.behindSince = undefined;
    this.sentUpTo = 0;
    this.catchingUp = false;
    this.confirmedUpTo = 0;
    this.lastProgressAt = now;
    this.pump();
  }

  /**
   * A batch the broker has not PUBACKed for `pubackTimeoutMs`: the line is dead without
   * having said so. Dropping the connection (mqtt.js reconnects) beats waiting for keepalive.
   * Else, no ack from HQ for a while with uploads outstanding: start again from the last ack.
   */
  private check(): void {
    if (!this.connected) return;
    const oldest = Math.min(...this.unconfirmed.values());
    if (this.unconfirmed.size && this.opts.now() - oldest > this.opts.pubackTimeoutMs) {
      this.deadLinks++;
      this.opts.log.warn({ waitedMs: this.opts.now() - oldest, unconfirmed: this.unconfirmed.size }, 'line silent: no PUBACK; reconnecting');
      this.unconfirmed.clear();
      this.session.drop();
      return;
    }
    const acked = this.opts.store.ackedUpTo();
    if (this.sentUpTo > acked && this.opts.now() - this.lastProgressAt > this.opts.ackTimeoutMs) {
      this.opts.log.debug(() => ({ acked, sent: this.sentUpTo }), 're-sending unacknowledged uploads');
      this.sentUpTo = acked;
      this.lastProgressAt = this.opts.now();
    }
    this.pump();
  }
}
