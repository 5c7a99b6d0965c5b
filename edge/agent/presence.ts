import type { DeviceCredential, DeviceRole } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { LaneStatus } from '../../shared/sync/messages.ts';
import { MqttSession } from '../../shared/sync/session.ts';
import { topics } from '../../shared/sync/topics.ts';

/**
 * A site agent (kiosk, POS) on the site's broker (HQ's, or a site hub's), through the shared
 * MQTT session (shared/sync/session.ts): presence by last will plus a retained status
 * heartbeat (so HQ's device view lists it: online, last seen, checkpoint, outbox), and the
 * doorbell that makes it pull at once instead of at its next timed pull. The broker is
 * optional: without it the agent works on its timer.
 */
export class AgentPresence {
  readonly session: MqttSession;

  constructor(opts: {
    url: string; role: DeviceRole; site: string; device: string; credential?: DeviceCredential; heartbeatMs: number; log: Logger;
    /** CA (PEM) the broker's certificate is checked against (mqtts://). */
    ca?: Buffer;
    now: () => number;
    /** What the agent reports (checkpoint, outbox, error). */
    status: () => Omit<LaneStatus, 'state' | 'at'>;
    /** The doorbell rang: new changes to pull. */
    onNotify: () => void;
    /** More topics of the agent's own (e.g. the POS's up/ack) and what to do with them. */
    extra?: { topics: string[]; onMessage: (topic: string, payload: Buffer) => void };
  }) {
    const notify = topics.notify(opts.site);
    this.session = new MqttSession({
      url: opts.url, role: opts.role, site: opts.site, device: opts.device, credential: opts.credential, ca: opts.ca, log: opts.log,
      keepaliveS: 30, reconnectMs: 1000, subscriptions: [notify, ...(opts.extra?.topics ?? [])],
      heartbeat: { ms: opts.heartbeatMs, status: () => ({ state: 'online', at: opts.now(), ...opts.status() } satisfies LaneStatus) },
      onConnect: () => opts.onNotify(), // the doorbell may have rung while the agent was away
      onMessage: (topic, payload) => {
        if (topic === notify) opts.onNotify();
        else opts.extra?.onMessage(topic, payload);
      },
    });
  }

  start(): void { this.session.start(); }

  /** Sends the status now (after a pickup, a printer fault). */
  publish(): void { this.session.beat(); }

  stop(): Promise<void> { return this.session.stop(); }
}
