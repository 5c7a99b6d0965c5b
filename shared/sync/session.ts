import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { clientIdFor, type DeviceCredential, type DeviceRole } from '../auth/device.ts';
import type { Logger } from '../log/logger.ts';
import { topics } from './topics.ts';

const OFFLINE = Buffer.from('{"state":"offline"}');

export interface SessionOptions {
  url: string;
  role: DeviceRole;
  site: string;
  device: string;
  credential?: DeviceCredential;
  /** CA (PEM) the broker's certificate is checked against (mqtts://); absent: the system's list. */
  ca?: Buffer;
  log: Logger;
  /**
   * Seconds of silence before the broker (and we) call the line dead. A dead ADSL line sends
   * no FIN: this is how long a device takes to notice, so it is short where the data matters.
   */
  keepaliveS: number;
  reconnectMs: number;
  /**
   * 4 (MQTT 3.1.1, default: aedes speaks nothing else) or 5: every subscription then carries
   * No Local, so the broker never sends a device what it published itself (its own uploads
   * on the site's upload topic); the built-in brokers drop those echoes themselves.
   */
  protocolVersion?: 4 | 5;
  connectTimeoutMs?: number;
  /** Subscribed (QoS 1) on every connect. */
  subscriptions: string[];
  /** Keep the broker-side session across drops (the hub: HQ queues its acks and commands). */
  persistent?: boolean;
  /**
   * The status heartbeat: made fresh each time (undefined: skip this beat), sent retained at
   * QoS 0 on connect and every `heartbeatMs`. Beside the last will, it is the presence.
   */
  heartbeat?: { ms: number; status: () => object | undefined };
  onConnect?: () => void;
  onClose?: () => void;
  /** Incoming messages; the PUBACK waits for the returned promise (a hub relays before it acks). */
  onMessage: (topic: string, payload: Buffer, retain: boolean) => void | Promise<void>;
}

/**
 * The one MQTT session set-up of every agent: its client id (its username, so no two
 * identities share one), credential, CA, a retained last will saying offline, keepalive and
 * reconnect, subscriptions made on every connect, a status heartbeat, and a clean "offline"
 * on stop (a clean stop sends no will). What mqtt.js holds unacknowledged when the line dies
 * is taken back, never replayed: each agent's durable outbox owns re-sending, so a message is
 * not sent twice (once by mqtt.js, once from the outbox).
 */
export class MqttSession {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  connected = false;

  constructor(private readonly opts: SessionOptions) {}

  get statusTopic(): string { return topics.status(this.opts.site, this.opts.device); }

  start(): void {
    const o = this.opts;
    const options: IClientOptions = {
      clientId: clientIdFor({ role: o.role, site: o.site, device: o.device }), clean: !o.persistent, protocolVersion: o.protocolVersion ?? 4,
      resubscribe: false, username: o.credential?.username, password: o.credential?.token,
      reconnectPeriod: o.reconnectMs, connectTimeout: o.connectTimeoutMs ?? 5000, keepalive: o.keepaliveS, queueQoSZero: false,
      ...(o.ca ? { ca: o.ca } : {}),
      will: { topic: this.statusTopic, payload: OFFLINE, qos: 1, retain: true },
    };
    const client = mqtt.connect(o.url, options);
    client.handleMessage = (packet, done) => {
      let settled: void | Promise<void> = undefined;
      try {
        settled = o.onMessage(packet.topic, packet.payload as Buffer, packet.retain);
      } catch (err) {
        o.log.warn({ err: (err as Error).message, topic: packet.topic }, 'message handler failed');
      }
      Promise.resolve(settled)
        .catch((err: Error) => o.log.warn({ err: err.message, topic: packet.topic }, 'message handler failed'))
        .finally(() => done());
    };
    client.on('connect', () => {
      this.connected = true;
      if (o.subscriptions.length) client.subscribe(o.subscriptions, { qos: 1, ...(o.protocolVersion === 5 ? { nl: true } : {}) });
      this.beat();
      o.onConnect?.();
    });
    client.on('close', () => {
      const was = this.connected;
      this.connected = false;
      this.takeBack(client);
      if (was) o.onClose?.();
    });
    client.on('error', (err) => o.log.debug(() => ({ err: err.message }), 'mqtt error'));
    this.client = client;
    if (o.heartbeat) this.timer = setInterval(() => this.beat(), o.heartbeat.ms);
  }

  /** Publishes when connected; the callback has the broker's PUBACK (QoS 1) or the error. */
  publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1; retain?: boolean }, cb?: (err?: Error) => void): boolean {
    const client = this.client;
    if (!client || !this.connected) return false;
    client.publish(topic, payload, { qos: opts.qos, retain: opts.retain ?? false }, (err) => cb?.(err ?? undefined));
    return true;
  }

  /**
   * The line went silent (no FIN, nothing acknowledged): drop the connection now rather than
   * wait for keepalive; mqtt.js connects again after `reconnectMs`.
   */
  drop(): void {
    this.client?.stream?.destroy();
  }

  /** Sends the status heartbeat now. */
  beat(): void {
    const status = this.opts.heartbeat?.status();
    if (status) this.publish(this.statusTopic, JSON.stringify(status), { qos: 0, retain: true });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A clean stop sends no last will: say offline ourselves, so HQ does not wait for a timeout.
    if (this.connected && !this.opts.persistent) {
      await client.publishAsync(this.statusTopic, OFFLINE, { qos: 1, retain: true }).catch(() => undefined);
    }
    this.connected = false;
    await client.endAsync(true);
  }

  /**
   * mqtt.js would re-send unacknowledged publishes after a reconnect, while the agent re-sends
   * from its outbox too: both copies would cross the line. Taken back here, they are sent once,
   * from the outbox, from the last acknowledged point.
   */
  private takeBack(client: MqttClient): void {
    for (const [messageId, pending] of Object.entries(client.outgoing)) {
      if (pending.cmd === 'publish') client.removeOutgoingMessage(Number(messageId));
    }
  }
}
