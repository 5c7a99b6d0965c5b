import { testHqMqtt } from '../support/devices.ts';
import mqtt, { type MqttClient } from 'mqtt';
import { unpackBatch } from '../../shared/sync/pack.ts';
import { parseDeviceTopic } from '../../shared/sync/topics.ts';


export interface Heard {
  at: number;
  device: string;
  /** up, up/ack, status, reported, ... */
  what: string;
  bytes: number;
  /** For uploads: the batch's sequence range. */
  firstSeq?: number;
  lastSeq?: number;
  /** For acks: "up to N", and the stream's epoch. */
  upTo?: number;
  epoch?: string;
}

/**
 * Listens on HQ's broker directly (not through any simulated line) to count what a device
 * sent and got, message by message: the line's byte counters say how much, this says why.
 */
export class Observer {
  private client: MqttClient | undefined;
  readonly heard: Heard[] = [];

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, { clientId: `bench-observer-${process.pid}`, clean: true, ...testHqMqtt('bench-observer') });
    client.on('message', (topic, payload, packet) => {
      if (packet.retain) return; // replayed on subscribe, not traffic
      const t = parseDeviceTopic(topic);
      if (!t) return;
      const h: Heard = { at: performance.now(), device: t.device, what: t.kind, bytes: payload.length };
      if (h.what === 'up' && payload[0] !== 0x7b) {
        try {
          const b = unpackBatch(payload);
          h.firstSeq = b.firstSeq;
          h.lastSeq = b.lastSeq;
        } catch { /* the baseline's JSON, or junk: counted, not decoded */ }
      }
      if (h.what === 'up/ack') {
        try {
          const a = JSON.parse(payload.toString('utf8')) as { upTo?: unknown; epoch?: unknown };
          if (typeof a.upTo === 'number') h.upTo = a.upTo;
          if (typeof a.epoch === 'string') h.epoch = a.epoch;
        } catch { /* counted, not decoded */ }
      }
      this.heard.push(h);
    });
    await client.subscribeAsync('tk/v1/#', { qos: 0 });
    this.client = client;
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  /** What one device's topics carried between two instants, by kind: messages, payload bytes, re-sent batches. */
  summary(device: string, from: number, to = Infinity): Record<string, { messages: number; bytes: number; resent?: number }> {
    const out: Record<string, { messages: number; bytes: number; resent?: number }> = {};
    const seen = new Set<number>();
    for (const h of this.heard) {
      if (h.device !== device || h.at < from || h.at > to) continue;
      const s = (out[h.what] ??= { messages: 0, bytes: 0 });
      s.messages++;
      s.bytes += h.bytes;
      if (h.firstSeq !== undefined) {
        if (seen.has(h.firstSeq)) s.resent = (s.resent ?? 0) + 1;
        seen.add(h.firstSeq);
      }
    }
    return out;
  }

  /** When HQ's first ack of a device's stream up to `seq` (or beyond) was heard, if it was. */
  ackedAt(device: string, epoch: string, seq: number, from: number): number | undefined {
    return this.heard.find((h) => h.device === device && h.what === 'up/ack' && h.at >= from && h.epoch === epoch && (h.upTo ?? 0) >= seq)?.at;
  }

  /** When each upload ack was heard, for a device. */
  acks(device: string, from: number): number[] {
    return this.heard.filter((h) => h.device === device && h.what === 'up/ack' && h.at >= from).map((h) => h.at);
  }
}
