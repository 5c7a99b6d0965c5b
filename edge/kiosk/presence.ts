import type { DeviceCredential } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { LaneStatus } from '../../shared/sync/messages.ts';
import { MqttSession } from '../../shared/sync/session.ts';
import { topics } from '../../shared/sync/topics.ts';

/**
 * The kiosk on the site's broker (HQ's, or a site hub's), through the shared MQTT session
 * (shared/sync/session.ts): presence by last will plus a retained status heartbeat (so HQ's
 * device view lists it: online, last seen, checkpoint, pickups waiting), and the doorbell
 * that makes it pull new bookings at once instead of at its next timed pull. The broker is
 * optional: without it the kiosk works on its timer.
 */
export class KioskPresence {
  private readonly session: MqttSession;

  constructor(opts: {
    url: string; site: string; device: string; credential?: DeviceCredential; heartbeatMs: number; log: Logger;
    /** CA (PEM) the broker's certificate is checked against (mqtts://). */
    ca?: Buffer;
    now: () => number;
    /** What the kiosk reports (checkpoint, outbox, error). */
    status: () => Omit<LaneStatus, 'state' | 'at'>;
    /** The doorbell rang: new changes to pull. */
    onNotify: () => void;
  }) {
    const notify = topics.notify(opts.site);
    this.session = new MqttSession({
      url: opts.url, role: 'kiosk', site: opts.site, device: opts.device, credential: opts.credential, ca: opts.ca, log: opts.log,
      keepaliveS: 30, reconnectMs: 1000, subscriptions: [notify],
      heartbeat: { ms: opts.heartbeatMs, status: () => ({ state: 'online', at: opts.now(), ...opts.status() } satisfies LaneStatus) },
      onConnect: () => opts.onNotify(), // the doorbell may have rung while the kiosk was away
      onMessage: (topic) => {
        if (topic === notify) opts.onNotify();
      },
    });
  }

  start(): void { this.session.start(); }

  /** Sends the status now (after a pickup, a printer fault). */
  publish(): void { this.session.beat(); }

  stop(): Promise<void> { return this.session.stop(); }
}
