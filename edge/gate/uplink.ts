import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log/logger.ts';
import { topics, upAck, type UpBatch } from '../../shared/sync/messages.ts';
import type { GateStore } from './store.ts';

/** Batches allowed in flight beyond the last ack. */
const WINDOW = 4;

/**
 * Sends the outbox to HQ over MQTT QoS 1 and forgets rows only when HQ acks "up to N".
 * After a reconnect, or when acks stop coming, it re-sends from the last ack: HQ ingests
 * idempotently, so re-sending is always safe and losing is never possible.
 */
export class Uplink {
  private client: MqttClient | undefined;
  private sentUpTo = 0;
  private lastProgressAt = 0;
  private timer: NodeJS.Timeout | undefined;
  connected = false;

  constructor(private readonly opts: {
    store: GateStore; url: string; site: string; device: string; batchSize: number; ackTimeoutMs: number;
    log: Logger; now: () => number; onConnect?: () => void; onNotify?: () => void;
  }) {}

  start(): void {
    const { site, device, log } = this.opts;
    const client = mqtt.connect(this.opts.url, {
      clientId: `dev-${site}-${device}`, clean: true, protocolVersion: 4,
      reconnectPeriod: 1000, connectTimeout: 5000, keepalive: 15, queueQoSZero: false,
      will: { topic: topics.status(site, device), payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    client.on('connect', () => {
      this.connected = true;
      this.sentUpTo = this.opts.store.ackedUpTo();
      this.lastProgressAt = this.opts.now();
      client.subscribe([topics.upAck(site, device), topics.notify(site)], { qos: 1 });
      client.publish(topics.status(site, device), JSON.stringify({ state: 'online', at: this.opts.now() }), { qos: 1, retain: true });
      log.info({ url: this.opts.url }, 'uplink connected');
      this.opts.onConnect?.();
      this.pump();
    });
    client.on('close', () => {
      if (this.connected) log.warn({}, 'uplink lost; entries stay queued');
      this.connected = false;
    });
    client.on('error', (err) => log.debug(() => ({ err: err.message }), 'mqtt error'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client = client;
    this.timer = setInterval(() => this.checkStalled(), Math.max(50, Math.floor(this.opts.ackTimeoutMs / 2)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) await client.endAsync(true);
  }

  /** Sends whatever is queued, within the window. Cheap to call after every entry. */
  pump(): void {
    const client = this.client;
    if (!client || !this.connected) return;
    const { store, site, device, batchSize } = this.opts;
    const limit = store.ackedUpTo() + WINDOW * batchSize;
    while (this.sentUpTo < limit) {
      const pending = store.pendingAfter(this.sentUpTo, batchSize);
      if (!pending) return;
      const batch: UpBatch = { device, epoch: store.epoch, ...pending };
      client.publish(topics.up(site, device), JSON.stringify(batch), { qos: 1 });
      this.sentUpTo = pending.lastSeq;
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    const { site, device, store, log } = this.opts;
    if (topic === topics.notify(site)) {
      this.opts.onNotify?.();
      return;
    }
    if (topic !== topics.upAck(site, device)) return;
    let ack;
    try {
      ack = upAck.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      log.warn({ topic }, 'ignored malformed ack');
      return;
    }
    if (ack.epoch !== store.epoch) return;
    if (ack.upTo > store.ackedUpTo()) {
      store.acknowledge(Math.min(ack.upTo, this.sentUpTo));
      this.lastProgressAt = this.opts.now();
    }
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
