import { clientIdFor, type DeviceCredential } from '../../shared/auth/device.ts';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log/logger.ts';
import { topics } from '../../shared/sync/topics.ts';
import type { HubStore } from './store.ts';
import type { SiteRoutes } from './topics.ts';

/**
 * The hub's only MQTT session over the WAN (aedes cannot bridge outwards). Up: drains the
 * SQLite queue in order at QoS 1, at most `window` messages awaiting HQ's PUBACK, and deletes
 * each row on its PUBACK. After a drop, or a restart, it sends again from the head of the
 * queue, so order holds and HQ may see a message twice (its ingest is idempotent).
 * Down: relays HQ's messages onto the LAN; the PUBACK to HQ's broker waits until the LAN
 * broker (and, for desired modes, SQLite) has them.
 */
export class Upstream {
  private client: MqttClient | undefined;
  private readonly inFlight = new Set<number>();
  /** Highest queue id sent on this connection. */
  private sentUpTo = 0;
  private statusTimer: NodeJS.Timeout | undefined;
  connected = false;
  /** Messages HQ's broker has acknowledged, since start. */
  forwarded = 0;

  constructor(private readonly opts: {
    url: string; site: string; hub: string; window: number; statusIntervalMs: number;
    store: HubStore; routes: SiteRoutes; log: Logger; now: () => number;
    /** Put an HQ message on the LAN; resolves once the LAN broker has it. */
    relay: (topic: string, payload: Buffer, retain: boolean) => Promise<void>;
    onNotify: () => void;
    onConnect: () => void;
    /** The hub's own status fields (queue length, checkpoint...). */
    credential?: DeviceCredential;
    /** CA (PEM) HQ's broker certificate is checked against; absent: the system's list. */
    ca?: Buffer;
    status: () => Record<string, unknown>;
  }) {}

  start(): void {
    const { site, hub, log, routes } = this.opts;
    this.sentUpTo = 0;
    const client = mqtt.connect(this.opts.url, {
      // A persistent session: HQ's broker queues acks and commands while the WAN is down.
      clientId: clientIdFor({ role: 'hub', site, device: hub }), clean: false, protocolVersion: 4, resubscribe: false,
      username: this.opts.credential?.username, password: this.opts.credential?.token,
      reconnectPeriod: 1000, connectTimeout: 10_000, keepalive: 30, ...(this.opts.ca ? { ca: this.opts.ca } : {}),
      will: { topic: topics.status(site, hub), payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    client.handleMessage = (packet, done) => {
      this.down(packet.topic, packet.payload as Buffer, packet.retain)
        .catch((err: Error) => log.warn({ err: err.message, topic: packet.topic }, 'could not relay to the LAN'))
        .finally(() => done());
    };
    client.on('connect', () => {
      this.connected = true;
      client.subscribe(routes.downSubscriptions, { qos: 1 });
      log.info({ url: this.opts.url, queued: this.opts.store.queueStats().messages }, 'WAN link up');
      this.publishStatus();
      this.opts.onConnect();
      this.pump();
    });
    client.on('close', () => {
      if (this.connected) log.warn({ queued: this.opts.store.queueStats().messages }, 'WAN link down; queueing for HQ');
      this.connected = false;
      this.takeBackInFlight(client);
    });
    client.on('error', (err) => log.debug(() => ({ err: err.message }), 'mqtt error'));
    this.client = client;
    this.statusTimer = setInterval(() => this.publishStatus(), this.opts.statusIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.statusTimer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    // Forced: no DISCONNECT, so HQ's broker publishes the will (the hub is offline).
    if (client) await client.endAsync(true);
    this.inFlight.clear();
  }

  /** Forwards what is queued, within the window. Cheap to call after every enqueue. */
  pump(): void {
    const client = this.client;
    if (!client || !this.connected) return;
    const room = this.opts.window - this.inFlight.size;
    if (room <= 0) return;
    for (const m of this.opts.store.queuedAfter(this.sentUpTo, room)) {
      this.sentUpTo = m.id;
      this.inFlight.add(m.id);
      client.publish(m.topic, m.payload, { qos: 1, retain: m.retain }, (err) => {
        // An error means taken back or ended: the row stays and goes again.
        if (err || this.client !== client) return;
        this.inFlight.delete(m.id);
        this.opts.store.dequeue(m.id);
        this.forwarded++;
        this.pump();
      });
    }
  }

  /**
   * mqtt.js would re-send unacknowledged publishes after a reconnect one at a time, each
   * waiting for its PUBACK: a round trip per message, which on a line that drops every few
   * seconds leaves little time for anything else. The queue has them all, so they are taken
   * back and sent again from the head of the queue, in order, within the window.
   */
  private takeBackInFlight(client: MqttClient): void {
    for (const [messageId, pending] of Object.entries(client.outgoing)) {
      if (pending.cmd === 'publish') client.removeOutgoingMessage(Number(messageId));
    }
    this.inFlight.clear();
    this.sentUpTo = 0;
  }

  private publishStatus(): void {
    if (!this.connected) return;
    const status = { state: 'online', at: this.opts.now(), ...this.opts.status() };
    this.client?.publish(topics.status(this.opts.site, this.opts.hub), JSON.stringify(status), { qos: 1, retain: true });
  }

  private async down(topic: string, payload: Buffer, retainFlag: boolean): Promise<void> {
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
