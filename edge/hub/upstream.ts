import type { DeviceCredential } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { mergeBatches, packBundle, type BundleItem, type BundleMessageKind } from '../../shared/sync/bundle.ts';
import { upAck, type UpBatch } from '../../shared/sync/messages.ts';
import { unpackBatch } from '../../shared/sync/pack.ts';
import { MqttSession } from '../../shared/sync/session.ts';
import { parseDeviceTopic, topics } from '../../shared/sync/topics.ts';
import { z } from 'zod';
import type { HubStore, QueuedMessage } from './store.ts';
import type { SiteRoutes } from './topics.ts';

/** Raw payload bytes of queued messages that make a bundle leave at once (and its most). */
const BUNDLE_BYTES = 32 * 1024;
/** Queued messages read per bundle at most. */
const BUNDLE_MESSAGES = 2_000;
/** HQ's acks of bundles kept waiting for at most (older ones are forgotten: gates re-send). */
const ACKS_REMEMBERED = 1_000;

const bundleAck = z.object({ id: z.number().int().nonnegative(), upTo: z.array(z.number().int().nonnegative()).max(BUNDLE_MESSAGES) });

type Stream = { device: string; epoch: string };

/** What a bundle carries (shared/sync/bundle.ts): gate batches and the messages beside them. */
const BUNDLED = new Set(['up', 'status', 'reported', 'cmd/res']);
const bundled = (row: QueuedMessage) => BUNDLED.has(parseDeviceTopic(row.topic)?.kind ?? '');

/**
 * The hub's only MQTT session over the WAN (aedes cannot bridge outwards), on the shared
 * session helper (shared/sync/session.ts: client id, credential, CA, last will, a persistent
 * session so HQ's broker queues acks and commands while the WAN is down, the hub's status
 * heartbeat, and what mqtt.js held taken back on a drop).
 *
 * Up: the SQLite queue leaves as bundles (shared/sync/bundle.ts): everything the LAN's devices
 * sent during one coalescing period, their batches merged per stream, in one deflated message
 * at QoS 1. A bundle leaves when its oldest message is `coalesceMs` old, when it is full, or
 * at once when it holds a mode report or a command answer. Rows are deleted on the broker's
 * PUBACK; after a drop or a restart the queue is sent again from its head (HQ's ingest is
 * idempotent); a message of a kind bundles do not carry goes on its own, in its place. HQ acks each bundle with what it acks of each batch's stream, and the hub hands
 * each gate its ack on the LAN. A bundle out with no PUBACK for `pubackTimeoutMs` (and none for
 * anything since) means a silently dead line: the connection is dropped and made again.
 * Down: relays HQ's messages onto the LAN; the PUBACK to HQ's broker waits until the LAN
 * broker (and, for desired modes, SQLite) has them.
 */
export class Upstream {
  private readonly session: MqttSession;
  /** Bundles published on this connection and not yet PUBACKed, by id. */
  private readonly inFlight = new Map<number, { ids: number[]; streams: Stream[] }>();
  /** Bundles the broker has, waiting for HQ's ack: their batches' streams in order. */
  private readonly awaitingAck = new Map<number, Stream[]>();
  /** Highest queue id sent on this connection. */
  private sentUpTo = 0;
  /** When the broker last PUBACKed a bundle, or the first went out after a quiet spell. */
  private progressAt = 0;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  /** Messages HQ's broker has acknowledged (in bundles), since start. */
  forwarded = 0;
  /** Bundles HQ's broker has acknowledged, since start. */
  bundles = 0;
  /** Connections dropped because the line went silent, since start. */
  deadLinks = 0;

  constructor(private readonly opts: {
    url: string; site: string; hub: string;
    /** Bundles in flight awaiting the broker's PUBACK. */
    window: number;
    statusIntervalMs: number;
    /** A bundle leaves when its oldest message is this old; 0 = at once. */
    coalesceMs: number;
    /** A bundle without the broker's PUBACK (and no other progress) this long means a dead line. */
    pubackTimeoutMs: number;
    keepaliveS: number;
    store: HubStore; routes: SiteRoutes; log: Logger; now: () => number;
    /** Put an HQ message on the LAN; resolves once the LAN broker has it. */
    relay: (topic: string, payload: Buffer, retain: boolean) => Promise<void>;
    onNotify: () => void;
    onConnect: () => void;
    credential?: DeviceCredential;
    /** CA (PEM) HQ's broker certificate is checked against; absent: the system's list. */
    ca?: Buffer;
    /** The hub's own status fields (queue length, checkpoint...). */
    status: () => Record<string, unknown>;
  }) {
    const { site, hub, log, routes } = opts;
    this.session = new MqttSession({
      url: opts.url, role: 'hub', site, device: hub, credential: opts.credential, ca: opts.ca, log,
      keepaliveS: opts.keepaliveS, reconnectMs: 1000, connectTimeoutMs: 10_000, persistent: true,
      subscriptions: [...routes.downSubscriptions, topics.bundleAck(site, hub)],
      heartbeat: { ms: opts.statusIntervalMs, status: () => ({ state: 'online', at: opts.now(), ...opts.status() }) },
      onConnect: () => {
        this.sentUpTo = 0;
        this.inFlight.clear();
        log.info({ url: opts.url, queued: opts.store.queueStats().messages }, 'WAN link up');
        opts.onConnect();
        this.pump();
      },
      onClose: () => {
        log.warn({ queued: opts.store.queueStats().messages }, 'WAN link down; queueing for HQ');
        this.inFlight.clear();
        this.sentUpTo = 0;
      },
      onMessage: (topic, payload, retain) => this.down(topic, payload, retain),
    });
  }

  get connected(): boolean { return this.session.connected; }

  start(): void {
    this.session.start();
    this.checkTimer = setInterval(() => this.check(), Math.max(100, Math.floor(this.opts.pubackTimeoutMs / 4)));
  }

  async stop(): Promise<void> {
    clearInterval(this.checkTimer);
    clearTimeout(this.coalesceTimer);
    // Persistent: no "offline" and no DISCONNECT, so HQ's broker publishes the will.
    await this.session.stop();
    this.inFlight.clear();
  }

  /** Forwards what is due, within the window. Cheap to call after every enqueue. */
  pump(): void {
    while (this.session.connected && this.inFlight.size < this.opts.window) {
      const rows = this.opts.store.queuedAfter(this.sentUpTo, BUNDLE_MESSAGES);
      if (!rows.length) return;
      // A message a bundle does not carry (a kind this hub relays without knowing it) goes on
      // its own, at once, in its place in the queue.
      if (!bundled(rows[0]!)) {
        this.sendAlone(rows[0]!);
        continue;
      }
      const take: QueuedMessage[] = [];
      let bytes = 0;
      for (const r of rows) {
        if (!bundled(r) || (take.length && bytes + r.payload.length > BUNDLE_BYTES)) break;
        take.push(r);
        bytes += r.payload.length;
      }
      const full = take.length < rows.length || bytes >= BUNDLE_BYTES || take.length === BUNDLE_MESSAGES;
      // A report, an answer, or a message behind that must go on its own: nothing waits.
      const urgent = take.some((r) => { const k = parseDeviceTopic(r.topic)?.kind; return k === 'reported' || k === 'cmd/res'; })
        || (take.length < rows.length && !bundled(rows[take.length]!));
      const wait = take[0]!.at + this.opts.coalesceMs - this.opts.now();
      if (!full && !urgent && wait > 0) {
        clearTimeout(this.coalesceTimer);
        this.coalesceTimer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.send(take);
    }
  }

  private send(rows: QueuedMessage[]): void {
    const { site, hub, log, store } = this.opts;
    const batches: UpBatch[] = [];
    const messages: BundleItem[] = [];
    for (const r of rows) {
      const t = parseDeviceTopic(r.topic);
      if (!t) continue;
      if (t.kind === 'up') {
        try {
          const batch = unpackBatch(r.payload);
          if (batch.device !== t.device) throw new Error(`batch says device ${batch.device}`);
          batches.push(batch);
        } catch (err) {
          // HQ would refuse it as well; the gate's stream goes on from HQ's ack.
          log.warn({ topic: r.topic, err: (err as Error).message }, 'dropped an upload HQ could not read');
        }
      } else if (t.kind === 'status' || t.kind === 'reported' || t.kind === 'cmd/res') {
        messages.push({ kind: t.kind as BundleMessageKind, device: t.device, payload: r.payload });
      }
    }
    const merged = mergeBatches(batches);
    const id = rows[0]!.id;
    const ids = rows.map((r) => r.id);
    const streams = merged.map((b) => ({ device: b.device, epoch: b.epoch }));
    const payload = packBundle({ id, items: [...merged.map((batch) => ({ kind: 'batch' as const, batch })), ...messages] });
    this.sentUpTo = rows.at(-1)!.id;
    if (!this.inFlight.size) this.progressAt = this.opts.now();
    this.inFlight.set(id, { ids, streams });
    const sent = this.session.publish(topics.bundle(site, hub), payload, { qos: 1 }, (err) => {
      // An error means taken back or ended: the rows stay and go again.
      if (err || !this.inFlight.delete(id)) return;
      store.dequeueMany(ids);
      this.progressAt = this.opts.now();
      this.forwarded += ids.length;
      this.bundles++;
      if (streams.length) this.remember(id, streams);
      this.pump();
    });
    if (!sent) this.inFlight.delete(id);
  }

  /** One queued message as its device sent it (the hub's way before bundles). */
  private sendAlone(row: QueuedMessage): void {
    const id = row.id;
    this.sentUpTo = id;
    if (!this.inFlight.size) this.progressAt = this.opts.now();
    this.inFlight.set(id, { ids: [id], streams: [] });
    const sent = this.session.publish(row.topic, row.payload, { qos: 1, retain: row.retain }, (err) => {
      if (err || !this.inFlight.delete(id)) return;
      this.opts.store.dequeue(id);
      this.progressAt = this.opts.now();
      this.forwarded++;
      this.pump();
    });
    if (!sent) this.inFlight.delete(id);
  }

  private remember(id: number, streams: Stream[]): void {
    this.awaitingAck.set(id, streams);
    if (this.awaitingAck.size > ACKS_REMEMBERED) this.awaitingAck.delete(this.awaitingAck.keys().next().value!);
  }

  /** HQ's ack of a bundle: each gate gets its stream's "up to N" on the LAN, as if HQ had sent it. */
  private async acked(payload: Buffer): Promise<void> {
    let ack: z.infer<typeof bundleAck>;
    try {
      ack = bundleAck.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      this.opts.log.warn({}, 'ignored malformed bundle ack');
      return;
    }
    const streams = this.awaitingAck.get(ack.id) ?? this.inFlight.get(ack.id)?.streams;
    this.awaitingAck.delete(ack.id);
    if (!streams) return;
    await Promise.all(streams.map((s, i) => {
      const upTo = ack.upTo[i];
      if (!upTo) return undefined;
      const body = upAck.parse({ epoch: s.epoch, upTo });
      return this.opts.relay(topics.upAck(this.opts.site, s.device), Buffer.from(JSON.stringify(body)), false);
    }));
  }

  /** No PUBACK for a while with bundles out: the line died without a word. */
  private check(): void {
    if (!this.session.connected || !this.inFlight.size) return;
    if (this.opts.now() - this.progressAt <= this.opts.pubackTimeoutMs) return;
    this.deadLinks++;
    this.opts.log.warn({ inFlight: this.inFlight.size }, 'WAN silent: no PUBACK; reconnecting');
    this.inFlight.clear();
    this.session.drop();
  }

  private async down(topic: string, payload: Buffer, retainFlag: boolean): Promise<void> {
    if (topic === topics.bundleAck(this.opts.site, this.opts.hub)) return this.acked(payload);
    const kind = this.opts.routes.down(topic);
    if (kind === undefined) return;
    if (kind === 'notify') {
      // Gates pull from the hub: the hub pulls first and rings the LAN doorbell itself once
      // its copy has the news, so gates never pull before it is there.
      this.opts.onNotify();
      return;
    }
    if (kind === 'desired') {
      this.opts.store.setRetained(topic, payload, this.opts.now());
      return this.opts.relay(topic, payload, true);
    }
    return this.opts.relay(topic, payload, retainFlag);
  }
}
