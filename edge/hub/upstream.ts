import type { DeviceCredential } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { mergeBatches, packBundle, type BundleItem, type BundleMessageKind } from '../../shared/sync/bundle.ts';
import { upAck, type UpBatch } from '../../shared/sync/messages.ts';
import { unpackBatch } from '../../shared/sync/pack.ts';
import { MqttSession } from '../../shared/sync/session.ts';
import { parseDeviceTopic, topics } from '../../shared/sync/topics.ts';
import { z } from 'zod';
import type { HubStore, QueuedMessage } from './store.ts';
import type { UpStreams } from './streams.ts';
import type { SiteRoutes } from './topics.ts';

/** Raw payload bytes of queued messages that make a bundle leave at once (and its most). */
const BUNDLE_BYTES = 32 * 1024;
/** Queued messages read per bundle at most. */
const BUNDLE_MESSAGES = 2_000;

const bundleAck = z.object({ id: z.number().int().nonnegative(), upTo: z.array(z.number().int().nonnegative()).max(BUNDLE_MESSAGES) });

type Stream = { device: string; epoch: string };

/** A bundle (or a message sent alone) out on the WAN: its queue rows, and its batches' streams in order. */
interface Out {
  ids: number[];
  streams: Stream[];
  /** Sent alone (a kind bundles do not carry): done at the broker's PUBACK, HQ acks no bundle. */
  alone: boolean;
  /** Send order: HQ takes bundles, and acks them, in this order. */
  order: number;
  /** When the broker PUBACKed it. */
  pubackAt?: number;
}

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
 * at once when it holds a mode report or a command answer; a message of a kind bundles do not
 * carry goes on its own, in its place, and is done at the broker's PUBACK.
 *
 * The hub owns re-sending what it took (edge/hub/streams.ts keeps gates' re-sends from
 * crossing the WAN again): a bundle's rows stay queued until HQ acks the bundle, and HQ's ack
 * of each stream is relayed to its gate. A bundle goes again only when lost: not PUBACKed
 * when the connection ended, or its ack missing when HQ acked a later one (HQ takes bundles
 * in order; an ack is QoS 0 and dies with the line) or for `ackTimeoutMs` with no ack at all;
 * entries HQ acked since (its stream's ack covers them) do not go again. Up to `window`
 * bundles are out awaiting HQ's ack. A bundle with no PUBACK for `pubackTimeoutMs` (and none
 * for anything since) means a silently dead line: the connection is dropped and made again.
 * Down: relays HQ's messages onto the LAN; the PUBACK to HQ's broker waits until the LAN
 * broker (and, for desired modes, SQLite) has them.
 */
export class Upstream {
  private readonly session: MqttSession;
  /** Out on this connection and not yet PUBACKed, by bundle id. */
  private readonly inFlight = new Map<number, Out>();
  /** PUBACKed bundles waiting for HQ's ack, in send order. */
  private readonly awaiting = new Map<number, Out>();
  /** Rows of lost bundles, to go again before anything newer. */
  private readonly redo = new Set<number>();
  /** Highest queue id sent since start (rows beyond it have never gone). */
  private sentUpTo = 0;
  private order = 0;
  /** The last bundle id used (persisted: an id is never reused, so a late ack cannot match another bundle). */
  private lastBundleId: number;
  /** When the broker last PUBACKed a bundle, or the first went out after a quiet spell. */
  private progressAt = 0;
  /** When HQ last acked a bundle, or the wait for one began. */
  private hqAckAt = 0;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  /** Messages HQ holds (acked bundles, or PUBACKed when sent alone), since start. */
  forwarded = 0;
  /** Bundles HQ has acknowledged, since start. */
  bundles = 0;
  /** Bundles sent again (lost), since start. */
  resent = 0;
  /** Connections dropped because the line went silent, since start. */
  deadLinks = 0;

  constructor(private readonly opts: {
    url: string; site: string; hub: string;
    /** Bundles out awaiting HQ's ack. */
    window: number;
    statusIntervalMs: number;
    /** A bundle leaves when its oldest message is this old; 0 = at once. */
    coalesceMs: number;
    /** A bundle without the broker's PUBACK (and no other progress) this long means a dead line. */
    pubackTimeoutMs: number;
    /** PUBACKed bundles without HQ's ack (and no ack of any) this long go again. */
    ackTimeoutMs: number;
    keepaliveS: number;
    store: HubStore; streams: UpStreams; routes: SiteRoutes; log: Logger; now: () => number;
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
    const { site, hub, log, routes, store } = opts;
    this.lastBundleId = Math.max(Number(store.meta('bundle_id') ?? 0), store.lastQueueId());
    this.session = new MqttSession({
      url: opts.url, role: 'hub', site, device: hub, credential: opts.credential, ca: opts.ca, log,
      keepaliveS: opts.keepaliveS, reconnectMs: 1000, connectTimeoutMs: 10_000, persistent: true,
      subscriptions: [...routes.downSubscriptions, topics.bundleAck(site, hub)],
      heartbeat: { ms: opts.statusIntervalMs, status: () => ({ state: 'online', at: opts.now(), ...opts.status() }) },
      onConnect: () => {
        this.hqAckAt = opts.now();
        log.info({ url: opts.url, queued: store.queueStats().messages }, 'WAN link up');
        opts.onConnect();
        this.pump();
      },
      onClose: () => {
        log.warn({ queued: store.queueStats().messages }, 'WAN link down; queueing for HQ');
        // Not PUBACKed: lost with the connection. PUBACKed ones wait on for HQ's ack.
        for (const out of this.inFlight.values()) this.lost(out);
        this.inFlight.clear();
      },
      onMessage: (topic, payload, retain) => this.down(topic, payload, retain),
    });
  }

  get connected(): boolean { return this.session.connected; }

  start(): void {
    this.session.start();
    this.checkTimer = setInterval(() => this.check(), Math.max(100, Math.floor(Math.min(this.opts.pubackTimeoutMs, this.opts.ackTimeoutMs) / 4)));
  }

  async stop(): Promise<void> {
    clearInterval(this.checkTimer);
    clearTimeout(this.coalesceTimer);
    // Persistent: no "offline" and no DISCONNECT, so HQ's broker publishes the will.
    await this.session.stop();
    this.inFlight.clear();
    this.awaiting.clear();
  }

  /** Forwards what is due, within the window. Cheap to call after every enqueue. */
  pump(): void {
    while (this.session.connected && this.inFlight.size + this.awaiting.size < this.opts.window) {
      if (this.redo.size) {
        const ids = [...this.redo].sort((a, b) => a - b).slice(0, BUNDLE_MESSAGES);
        for (const id of ids) this.redo.delete(id);
        const rows = this.opts.store.queued(ids);
        for (const r of rows.filter((r) => !bundled(r))) this.sendAlone(r);
        const take = rows.filter(bundled);
        if (take.length) {
          this.resent++;
          this.send(take);
        }
        continue;
      }
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
    const id = ++this.lastBundleId;
    store.setMeta('bundle_id', String(id));
    const out: Out = { ids: rows.map((r) => r.id), streams: merged.map((b) => ({ device: b.device, epoch: b.epoch })), alone: false, order: ++this.order };
    const payload = packBundle({ id, items: [...merged.map((batch) => ({ kind: 'batch' as const, batch })), ...messages] });
    this.sentUpTo = Math.max(this.sentUpTo, rows.at(-1)!.id);
    this.publish(id, out, topics.bundle(site, hub), payload, false);
  }

  /** One queued message as its device sent it (the hub's way before bundles). */
  private sendAlone(row: QueuedMessage): void {
    this.sentUpTo = Math.max(this.sentUpTo, row.id);
    this.publish(-row.id, { ids: [row.id], streams: [], alone: true, order: ++this.order }, row.topic, row.payload, row.retain);
  }

  private publish(key: number, out: Out, topic: string, payload: Buffer, retain: boolean): void {
    if (!this.inFlight.size) this.progressAt = this.opts.now();
    this.inFlight.set(key, out);
    const sent = this.session.publish(topic, payload, { qos: 1, retain }, (err) => {
      // An error means taken back or ended: onClose has put the rows back to go again.
      if (err || this.inFlight.get(key) !== out) return;
      this.inFlight.delete(key);
      this.progressAt = this.opts.now();
      if (out.alone) {
        this.opts.store.dequeueMany(out.ids);
        this.forwarded += out.ids.length;
      } else {
        if (!this.awaiting.size) this.hqAckAt = this.opts.now();
        out.pubackAt = this.opts.now();
        this.awaiting.set(key, out);
      }
      this.pump();
    });
    if (!sent) {
      this.inFlight.delete(key);
      this.lost(out);
    }
  }

  /** Rows of a bundle that will not be acked: what HQ does not hold by now goes again. */
  private lost(out: Out): void {
    const done = out.ids.filter((id) => this.opts.streams.atHq(id));
    this.dequeue(done);
    for (const id of out.ids) if (!done.includes(id)) this.redo.add(id);
  }

  private dequeue(ids: number[]): void {
    if (!ids.length) return;
    this.opts.store.dequeueMany(ids);
    this.opts.streams.release(ids);
    this.forwarded += ids.length;
  }

  /**
   * HQ's ack of a bundle: each stream's "up to N" noted and handed to its gate on the LAN, as
   * if HQ had sent it; the bundle's rows leave the queue, but for uploads beyond a gap at HQ
   * that the hub itself is filling (they go again after the gap's rows). Bundles taken before
   * it whose ack never came are lost.
   */
  private async acked(payload: Buffer): Promise<void> {
    let ack: z.infer<typeof bundleAck>;
    try {
      ack = bundleAck.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      this.opts.log.warn({}, 'ignored malformed bundle ack');
      return;
    }
    const out = this.awaiting.get(ack.id) ?? this.inFlight.get(ack.id);
    if (!out) return;
    this.awaiting.delete(ack.id);
    this.inFlight.delete(ack.id);
    this.hqAckAt = this.opts.now();
    this.bundles++;
    const { streams } = this.opts;
    out.streams.forEach((s, i) => { if (ack.upTo[i]) streams.acked(s, ack.upTo[i]!); });
    const mine = new Set(out.ids);
    const keep = new Set(out.ids.filter((id) => streams.behindGap(id, mine)));
    this.dequeue(out.ids.filter((id) => !keep.has(id)));
    for (const id of keep) this.redo.add(id);
    for (const [key, earlier] of this.awaiting) {
      if (earlier.order > out.order) continue;
      this.awaiting.delete(key);
      this.lost(earlier);
    }
    this.pump();
    await Promise.all(out.streams.map((s, i) => {
      const upTo = ack.upTo[i];
      if (!upTo) return undefined;
      const body = upAck.parse({ epoch: s.epoch, upTo });
      return this.opts.relay(topics.upAck(this.opts.site, s.device), Buffer.from(JSON.stringify(body)), false);
    }));
  }

  /**
   * No PUBACK for a while with bundles out: the line died without a word. PUBACKed bundles with
   * no ack from HQ for long (nor of any other): their acks were lost, or HQ lost them.
   */
  private check(): void {
    if (!this.session.connected) return;
    const now = this.opts.now();
    if (this.inFlight.size && now - this.progressAt > this.opts.pubackTimeoutMs) {
      this.deadLinks++;
      this.opts.log.warn({ inFlight: this.inFlight.size }, 'WAN silent: no PUBACK; reconnecting');
      this.session.drop();
      return;
    }
    if (this.awaiting.size && now - this.hqAckAt > this.opts.ackTimeoutMs) {
      this.opts.log.warn({ awaiting: this.awaiting.size }, 'no ack from HQ; sending those bundles again');
      for (const out of this.awaiting.values()) this.lost(out);
      this.awaiting.clear();
      this.hqAckAt = now;
      this.pump();
    }
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
