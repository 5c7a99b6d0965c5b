import { clientIdFor, type DeviceCredential } from '../../shared/auth/device.ts';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log/logger.ts';
import { commandRequest, desiredMode, upAck, type CommandRequest, type DesiredMode, type EntryRecord, type LaneStatus, type ReportedMode, type UpBatch } from '../../shared/sync/messages.ts';
import { parseDeviceTopic, topics } from '../../shared/sync/topics.ts';
import { packBatch, unpackBatch } from '../../shared/sync/pack.ts';
import { Sender, type Outgoing } from './sender.ts';
import type { GateStore } from './store.ts';

/** Batches allowed in flight beyond the last ack. */
const WINDOW = 4;
const MAX_MESSAGE = 1 << 20;

export interface LinkHandlers {
  onConnect(): void;
  onNotify(): void;
  onDesired(d: DesiredMode): void;
  onSiblingEntries(device: string, entries: EntryRecord[]): void;
  onCommand(req: CommandRequest): void;
}

/**
 * The gate's MQTT session. Up: sends the outbox over QoS 1 and forgets rows only when HQ
 * acks "up to N"; after a reconnect, or when acks stop coming, it re-sends from the last
 * ack (HQ ingests idempotently, so re-sending is always safe and losing is never possible).
 * Down: the doorbell, desired modes, and siblings' uploads (to share entries on the site).
 */
export class Link {
  private client: MqttClient | undefined;
  private sentUpTo = 0;
  /** Highest batch the broker acknowledged on this connection: an ack from HQ beyond it is not believed. */
  private confirmedUpTo = 0;
  private lastProgressAt = 0;
  /** When HQ first acked less than it had acked before (see onBehind). */
  private behindSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly sender: Sender;
  connected = false;

  constructor(private readonly opts: {
    store: GateStore; url: string; site: string; device: string; batchSize: number; ackTimeoutMs: number;
    /** Up-link cap in kbit/s; 0 = none. */
    uplinkKbps: number;
    credential?: DeviceCredential;
    /** CA (PEM) the broker's certificate is checked against (mqtts://); absent: the system's list. */
    ca?: Buffer;
    /** After HQ forgets acknowledged uploads, own passages this recent are sent again. */
    resendHorizonMs: number;
    log: Logger; now: () => number; handlers: LinkHandlers;
  }) {
    this.sender = new Sender({
      kbps: opts.uplinkKbps, now: opts.now,
      canSend: () => this.connected && this.client !== undefined,
      send: (m) => this.client?.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain ?? false }, (err) => m.onSent?.(err)),
      nextBatch: () => this.nextBatch(),
    });
  }

  get bytesSent(): number { return this.sender.bytesSent; }

  start(): void {
    const { site, device, log } = this.opts;
    const client = mqtt.connect(this.opts.url, {
      clientId: clientIdFor({ role: 'gate', site, device }), clean: true, protocolVersion: 4,
      username: this.opts.credential?.username, password: this.opts.credential?.token,
      reconnectPeriod: 500, connectTimeout: 5000, keepalive: 15, queueQoSZero: false, ...(this.opts.ca ? { ca: this.opts.ca } : {}),
      will: { topic: topics.status(site, device), payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    client.on('connect', () => {
      this.connected = true;
      this.sentUpTo = this.opts.store.ackedUpTo();
      this.confirmedUpTo = this.sentUpTo;
      this.lastProgressAt = this.opts.now();
      client.subscribe([
        topics.upAck(site, device), topics.notify(site), topics.siteDesired(site), topics.desired(site, device), topics.siteUp(site),
        topics.cmdReq(site, device),
      ], { qos: 1 });
      log.info({ url: this.opts.url }, 'link up');
      this.opts.handlers.onConnect();
      this.pump();
    });
    client.on('close', () => {
      if (this.connected) log.warn({}, 'link down; entries stay queued');
      this.connected = false;
      this.sender.clear();
    });
    client.on('error', (err) => log.debug(() => ({ err: err.message }), 'mqtt error'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client = client;
    this.timer = setInterval(() => this.checkStalled(), Math.max(50, Math.floor(this.opts.ackTimeoutMs / 2)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.sender.stop();
    const client = this.client;
    this.client = undefined;
    // A clean stop sends no last will: say offline ourselves, so HQ does not wait for a timeout.
    if (client && this.connected) {
      await client.publishAsync(topics.status(this.opts.site, this.opts.device), '{"state":"offline"}', { qos: 1, retain: true })
        .catch(() => undefined);
    }
    this.connected = false;
    if (client) await client.endAsync(true);
  }

  /** Sends whatever is queued, within the window and the cap. Cheap to call after every entry. */
  pump(): void {
    this.sender.flush();
  }

  /** The next outbox batch beyond what is in flight, packed; undefined when the window is full or nothing waits. */
  private nextBatch(): Outgoing | undefined {
    const { store, site, device, batchSize } = this.opts;
    if (this.sentUpTo >= store.ackedUpTo() + WINDOW * batchSize) return undefined;
    const pending = store.pendingAfter(this.sentUpTo, batchSize, device);
    if (!pending) return undefined;
    const batch: UpBatch = { device, epoch: store.epoch, ...pending };
    this.sentUpTo = pending.lastSeq;
    const lastSeq = pending.lastSeq;
    return {
      topic: topics.up(site, device), payload: packBatch(batch), qos: 1,
      onSent: (err) => {
        if (!err) this.confirmedUpTo = Math.max(this.confirmedUpTo, lastSeq);
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
      if (sibling === device) return;
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
    this.confirmedUpTo = 0;
    this.lastProgressAt = now;
    this.pump();
  }

  /** No ack for a while with uploads outstanding: start again from the last ack. */
  private checkStalled(): void {
    if (!this.connected) return;
    const acked = this.opts.store.ackedUpTo();
    if (this.sentUpTo > acked && this.opts.now() - this.lastProgressAt > this.opts.ackTimeoutMs) {
      this.opts.log.debug(() => ({ acked, sent: this.sentUpTo }), 're-sending unacknowledged uploads');
      this.sentUpTo = acked;
      this.lastProgressAt = this.opts.now();
    }
    this.pump();
  }
}
