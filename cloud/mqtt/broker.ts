import { Aedes } from 'aedes';
import type { Logger } from '../../shared/log/logger.ts';
import { aedesLimitOptions, DEFAULT_MQTT_LIMITS, MqttListener, type MqttListenerLimits } from '../../shared/net/mqtt-listener.ts';
import type { DeviceAuth } from '../devices/auth.ts';
import { isOwnEcho } from '../../shared/auth/device.ts';

/**
 * The in-process MQTT broker (aedes, MQTT 3.1.1). Its queues live in memory: devices keep
 * the durable copy of everything in their own outbox, so a broker restart loses nothing.
 * Transport (TLS, packet sizes, CONNECT timeout) is the listener's; who may do what, the
 * device auth hooks'.
 */
export class Broker {
  private aedes: Aedes | undefined;
  private listener: MqttListener | undefined;
  port = 0;

  constructor(private readonly opts: {
    host: string; port: number; log: Logger; auth?: DeviceAuth;
    limits?: MqttListenerLimits;
    /** Certificate and key (PEM): MQTT over TLS. */
    tls?: { cert: Buffer; key: Buffer };
  }) {}

  get stats() {
    return { connections: this.listener?.connections ?? 0, refused: Object.fromEntries(this.listener?.refused ?? []) };
  }

  async start(): Promise<void> {
    const limits = this.opts.limits ?? DEFAULT_MQTT_LIMITS;
    // Devices connect as "role:site:device" with their token; each may touch its own topics only.
    const aedes = await Aedes.createBroker({
      ...aedesLimitOptions(limits), ...((this.opts.auth?.brokerHooks() ?? {}) as object),
      // A gate hears its siblings' uploads on the site's topic, but never its own back.
      authorizeForward: (client, packet) => (isOwnEcho(client?.id, packet.topic) ? null : packet),
    });
    aedes.on('clientError', (client, err) => this.opts.log.debug(() => ({ client: client.id, err: err.message }), 'client error'));
    const listener = new MqttListener({ aedes, host: this.opts.host, port: this.opts.port, limits, log: this.opts.log, tls: this.opts.tls });
    this.aedes = aedes;
    try {
      await listener.start();
    } catch (err) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      this.aedes = undefined;
      throw err;
    }
    this.listener = listener;
    this.port = listener.port;
    this.opts.log.info({ port: this.port, tls: listener.secure }, 'mqtt broker listening');
  }

  async stop(): Promise<void> {
    const { aedes, listener } = this;
    this.aedes = this.listener = undefined;
    // aedes.close() ends its clients' sessions; the listener then closes what is left.
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await listener?.stop();
  }
}
