import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceCredential } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { type LaneStatus } from '../../shared/sync/messages.ts';
import { topics } from '../../shared/sync/topics.ts';
import { clientIdFor } from '../../shared/auth/device.ts';

const OFFLINE = Buffer.from('{"state":"offline"}');

/**
 * The kiosk on the site's broker (HQ's, or a site hub's): presence by MQTT last will plus a
 * retained status heartbeat (so HQ's device view lists it: online, last seen, checkpoint,
 * pickups waiting), and the doorbell that makes it pull new bookings at once instead of at
 * its next timed pull. The broker is optional: without it the kiosk works on its timer.
 */
export class KioskPresence {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: {
    url: string; site: string; device: string; credential?: DeviceCredential; heartbeatMs: number; log: Logger;
    /** The role its client id names (a POS agent uses this session too). */
    role?: 'kiosk' | 'pos';
    /** CA (PEM) the broker's certificate is checked against (mqtts://). */
    ca?: Buffer;
    now: () => number;
    /** What the kiosk reports (checkpoint, outbox, error). */
    status: () => Omit<LaneStatus, 'state' | 'at'>;
    /** The doorbell rang: new changes to pull. */
    onNotify: () => void;
  }) {}

  start(): void {
    const { site, device, log } = this.opts;
    const client = mqtt.connect(this.opts.url, {
      clientId: clientIdFor({ role: this.opts.role ?? 'kiosk', site, device }), clean: true, protocolVersion: 4, reconnectPeriod: 1000, connectTimeout: 5000, keepalive: 30,
      username: this.opts.credential?.username, password: this.opts.credential?.token, ...(this.opts.ca ? { ca: this.opts.ca } : {}),
      will: { topic: topics.status(site, device), payload: OFFLINE, qos: 1, retain: true },
    });
    client.on('connect', () => {
      client.subscribe(topics.notify(site), { qos: 1 });
      this.publish();
      this.opts.onNotify(); // the doorbell may have rung while the kiosk was away
    });
    client.on('message', (topic) => {
      if (topic === topics.notify(site)) this.opts.onNotify();
    });
    client.on('error', (err) => log.debug(() => ({ err: err.message }), 'broker'));
    this.client = client;
    this.timer = setInterval(() => this.publish(), this.opts.heartbeatMs);
  }

  /** Sends the status now (after a pickup, a printer fault). */
  publish(): void {
    const client = this.client;
    if (!client?.connected) return;
    const status: LaneStatus = { state: 'online', at: this.opts.now(), ...this.opts.status() };
    client.publish(topics.status(this.opts.site, this.opts.device), JSON.stringify(status), { qos: 0, retain: true });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A clean "offline", as the will would say, then leave.
    if (client.connected) await client.publishAsync(topics.status(this.opts.site, this.opts.device), OFFLINE, { qos: 1, retain: true }).catch(() => undefined);
    await client.endAsync(true);
  }
}
