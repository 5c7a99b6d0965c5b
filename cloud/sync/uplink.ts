import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log/logger.ts';
import { ZodError } from 'zod';
import { type UpAck, type UpBatch } from '../../shared/sync/messages.ts';
import { BUNDLE, isDeviceUp, parseDeviceTopic, topics } from '../../shared/sync/topics.ts';
import { MAX_UP_BYTES, unpackBatch } from '../../shared/sync/pack.ts';
import { unpackBundle, type Bundle } from '../../shared/sync/bundle.ts';
import type { Db } from '../db/open.ts';
import { ingestBatch } from '../entries/ingest.ts';
import type { EntryLimits } from '../../shared/auth/entries.ts';

/** An upload larger than this is refused before parsing. */

/**
 * HQ's side of the upload protocol: takes device batches off the broker, ingests them, and
 * acks "up to N" only after the database committed. The PUBACK to the broker is held back
 * until then too, so a crash mid-ingest makes the broker deliver the batch again.
 */
export class UplinkService {
  private client: MqttClient | undefined;

  constructor(private readonly opts: {
    url: string; db: Db; log: Logger; clientId?: string;
    /** How far an entry's time may be from HQ's clock (shared/auth/entries.ts). */
    entryLimits?: EntryLimits;
    /**
     * Several HQ nodes on one broker: subscribe as this shared-subscription group, so each
     * device message goes to one node of the group (MQTT 5's $share, which mosquitto also
     * gives 3.1.1 clients), and take a clean session, so a dead node's queue holds nothing.
     */
    sharedGroup?: string;
    /** HQ's own credential at its broker. */
    credential?: { username: string; token: string };
    /** TLS options for mqtts:// (the CA a broker's certificate is checked against). */
    tls?: Pick<IClientOptions, 'ca' | 'rejectUnauthorized'>;
    /** Every (re)connect: a broker that restarted has lost its retained messages. */
    onConnect?: () => void;
    /**
     * A POS's charges (JSON on `.../charges`, through a site hub or straight): what to answer
     * on its `up/ack`, or undefined to answer nothing (a refusal that is logged).
     */
    onCharges?: (site: string, device: string, body: unknown) => Promise<object | undefined>;
    /** A device's status or reported mode arrived. */
    onDevice?: (site: string, device: string, what: 'status' | 'reported' | 'cmd/res', payload: unknown) => Promise<void>;
  }) {}

  async start(): Promise<void> {
    const client = mqtt.connect(this.opts.url, {
      clientId: this.opts.clientId ?? 'hq', clean: this.opts.sharedGroup !== undefined, protocolVersion: 4, reconnectPeriod: 1000,
      username: this.opts.credential?.username, password: this.opts.credential?.token, ...this.opts.tls,
    });
    this.client = client;
    client.handleMessage = (packet, done) => {
      this.handle(packet.topic, packet.payload as Buffer)
        .catch((err) => this.opts.log.error({ err, topic: packet.topic }, 'ingest failed'))
        .finally(() => done());
    };
    client.on('error', (err) => this.opts.log.warn({ err: err.message }, 'mqtt error'));
    const share = (t: string) => (this.opts.sharedGroup ? `$share/${this.opts.sharedGroup}/${t}` : t);
    client.on('connect', () => {
      client.subscribe([topics.allUp, topics.allCharges, topics.allStatus, topics.allReported, topics.allCmdRes, topics.allBundles].map(share), { qos: 1 });
      this.opts.onConnect?.();
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  publish(topic: string, payload: object, qos: 0 | 1 = 0, retain = false): void {
    this.client?.publish(topic, JSON.stringify(payload), { qos, retain });
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const t = parseDeviceTopic(topic);
    if (!t) return;
    if (t.kind === BUNDLE) return this.bundle(t.site, t.device, payload);
    if (!isDeviceUp(t.kind)) return;
    const { site, device, kind: what } = t;
    if (what === 'charges') return this.charges(site, device, payload);
    if (what !== 'up') return this.message(site, device, what, payload);
    const batch = this.batch(device, payload);
    if (!batch) return;
    const ackedUpTo = await this.ingest(site, batch);
    // QoS 0: an ack lost with the connection is made again by the next batch or the
    // device's re-send, so a PUBACK for it would only add a packet per batch to the line.
    const ack: UpAck = { epoch: batch.epoch, upTo: ackedUpTo };
    this.publish(topics.upAck(site, device), ack, 0);
  }

  private async message(site: string, device: string, what: 'status' | 'reported' | 'cmd/res', payload: Buffer): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.opts.log.warn({ device, what }, 'device message refused: not JSON');
      return;
    }
    await this.opts.onDevice?.(site, device, what, body);
  }

  private batch(device: string, payload: Buffer): UpBatch | undefined {
    if (payload.length > MAX_UP_BYTES) {
      this.opts.log.warn({ device, bytes: payload.length }, 'upload refused: too large');
      return undefined;
    }
    let batch: UpBatch;
    try {
      batch = unpackBatch(payload);
    } catch (err) {
      this.opts.log.warn({ device, issue: issueOf(err) }, 'upload refused: not a valid batch');
      return undefined;
    }
    if (batch.device !== device) {
      this.opts.log.warn({ device, claimed: batch.device }, 'upload refused: device does not match topic');
      return undefined;
    }
    return batch;
  }

  private async ingest(site: string, batch: UpBatch): Promise<number> {
    const { ackedUpTo, inserted, refused } = await ingestBatch(this.opts.db, site, batch, new Date(), this.opts.entryLimits);
    if (refused.length) this.opts.log.warn({ site, device: batch.device, refused: refused.length, first: refused[0] }, 'entries refused: not this device\'s to report');
    this.opts.log.debug(() => ({ device: batch.device, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, inserted, ackedUpTo }), 'batch ingested');
    return ackedUpTo;
  }

  /**
   * A site hub's bundle (shared/sync/bundle.ts): each item taken as if its device had sent it
   * here, in order; then one ack for the hub, `{id, upTo}` with what each batch's stream is
   * acked up to (0: not taken), which the hub hands to its gates. Only a hub may publish on a
   * bundle topic (shared/auth/device.ts), and every entry is still checked against its own
   * device's record, so a bundle cannot speak for another site.
   */
  private async bundle(site: string, hub: string, payload: Buffer): Promise<void> {
    let bundle: Bundle;
    try {
      if (payload.length > MAX_UP_BYTES) throw new RangeError('too large');
      bundle = unpackBundle(payload);
    } catch (err) {
      this.opts.log.warn({ hub, issue: issueOf(err) }, 'bundle refused: not a valid bundle');
      return;
    }
    const upTo: number[] = [];
    const { id, items } = bundle;
    for (const item of items) {
      if (item.kind === 'batch') upTo.push(await this.ingest(site, item.batch));
      else await this.message(site, item.device, item.kind, item.payload);
    }
    this.publish(topics.bundleAck(site, hub), { id, upTo }, 0);
  }

  private async charges(site: string, device: string, payload: Buffer): Promise<void> {
    if (!this.opts.onCharges) return;
    let body: unknown;
    try {
      if (payload.length > MAX_UP_BYTES) throw new Error('too large');
      body = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      this.opts.log.warn({ site, device, err: (err as Error).message }, 'charges refused: not a JSON upload');
      return;
    }
    const answer = await this.opts.onCharges(site, device, body);
    // QoS 1: a site hub's persistent session keeps the answer while its WAN is down; the POS
    // sends again what it has no answer for, and HQ answers `duplicate`.
    if (answer) this.publish(topics.upAck(site, device), answer, 1);
  }
}

function issueOf(err: unknown): string | undefined {
  return err instanceof ZodError ? err.issues[0]?.message : (err as Error).message;
}
