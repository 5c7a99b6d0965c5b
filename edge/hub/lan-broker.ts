import { canPublish, canSubscribe, clientIdAllowed, deviceUsername, isOwnEcho, speaksMqtt, type DeviceIdentity } from '../../shared/auth/device.ts';
import { Aedes } from 'aedes';
import type { PublishPacket } from 'aedes';
import type { Logger } from '../../shared/log/logger.ts';
import { aedesLimitOptions, DEFAULT_MQTT_LIMITS, MqttListener, type MqttListenerLimits } from '../../shared/net/mqtt-listener.ts';

/**
 * The site's MQTT broker for the LAN (aedes, in process). Every publish from a client,
 * last wills included, passes `accept` before aedes PUBACKs it: aedes runs authorizePublish
 * ahead of the PUBACK, so a message the hub must keep is committed before the gate hears
 * "got it". Retained messages live in memory; the hub persists what must survive itself.
 */
export class LanBroker {
  private aedes: Aedes | undefined;
  private listener: MqttListener | undefined;
  port = 0;

  constructor(private readonly opts: {
    host: string; port: number; log: Logger;
    limits?: MqttListenerLimits;
    /** Certificate and key (PEM): MQTT over TLS on the LAN. */
    tls?: { cert: Buffer; key: Buffer };
    /** Synchronous; a throw refuses the publish (aedes then drops that client, which re-sends). */
    accept: (topic: string, payload: Buffer, clientId: string) => void;
    /** Checks the site's devices; absent: anyone on the LAN may connect (development only). */
    verify?: (username: string | undefined, token: Buffer | undefined) => DeviceIdentity | undefined;
    /** Why a verified device may not connect (HQ has not provisioned it, or switched it off), or undefined. */
    refusal?: (id: DeviceIdentity) => { code: string; message: string } | undefined;
  }) {}

  async start(retained: { topic: string; payload: Buffer }[] = []): Promise<void> {
    const { log } = this.opts;
    const verify = this.opts.verify;
    const identities = new WeakMap<object, DeviceIdentity>();
    const limits = this.opts.limits ?? DEFAULT_MQTT_LIMITS;
    const aedes = await Aedes.createBroker({
      ...aedesLimitOptions(limits),
      authenticate: (client, username, password, callback) => {
        if (!verify) return callback(null, true);
        const id = verify(username, password);
        if (!id) return callback(Object.assign(new Error('bad device credentials'), { returnCode: 4 }) as never, false);
        if (!speaksMqtt(id)) return callback(Object.assign(new Error('a handheld speaks HTTP only'), { returnCode: 5 }) as never, false);
        // The client id is the identity's own: another device's credential cannot take a gate's session.
        if (!clientIdAllowed(id, client.id)) {
          log.warn({ client: client.id, device: deviceUsername(id) }, 'connection refused: not this device\'s client id');
          return callback(Object.assign(new Error('client id is not this device\'s'), { returnCode: 2 }) as never, false);
        }
        const no = this.opts.refusal?.(id);
        if (no) {
          log.warn({ device: deviceUsername(id), code: no.code }, 'connection refused');
          return callback(Object.assign(new Error(no.message), { returnCode: 5 }) as never, false);
        }
        identities.set(client, id);
        callback(null, true);
      },
      // A gate hears its siblings' uploads on the site's topic, but never its own back.
      authorizeForward: (client, packet) => (isOwnEcho(client?.id, packet.topic) ? null : packet),
      authorizeSubscribe: (client, sub, callback) => {
        const id = client && identities.get(client);
        callback(null, !verify || (id && canSubscribe(id, sub.topic)) ? sub : null);
      },
      authorizePublish: (client, packet, callback) => {
        if (client && verify) {
          const id = identities.get(client);
          if (!id || !canPublish(id, packet.topic)) {
            log.warn({ client: client.id, topic: packet.topic }, 'publish refused: not this device\'s topic');
            return callback(new Error(`not allowed to publish ${packet.topic}`));
          }
        }
        try {
          if (client) this.opts.accept(packet.topic, packet.payload as Buffer, client.id);
          callback(null);
        } catch (err) {
          log.error({ err: (err as Error).message, topic: packet.topic }, 'could not keep a message: refused');
          callback(err as Error);
        }
      },
    });
    this.aedes = aedes;
    aedes.on('clientError', (client, err) => log.debug(() => ({ client: client.id, err: err.message }), 'client error'));
    aedes.on('client', (client) => log.debug(() => ({ client: client.id }), 'client connected'));
    // Retained state from before a restart, in place before the first gate can subscribe.
    for (const r of retained) await this.publish(r.topic, r.payload, true);
    const listener = new MqttListener({ aedes, host: this.opts.host, port: this.opts.port, limits, log, tls: this.opts.tls });
    this.listener = listener;
    await listener.start();
    this.port = listener.port;
    log.info({ host: this.opts.host, port: this.port, tls: listener.secure }, 'LAN broker listening');
  }

  get stats() {
    return { connections: this.listener?.connections ?? 0, refused: Object.fromEntries(this.listener?.refused ?? []) };
  }

  async stop(): Promise<void> {
    const { aedes, listener } = this;
    this.aedes = this.listener = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await listener?.stop();
  }

  /** Publishes on the LAN at QoS 1 (to subscribers that asked for it). */
  publish(topic: string, payload: Buffer, retain: boolean): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('LAN broker is not running'));
    const packet = { cmd: 'publish', topic, payload, qos: 1, retain, dup: false } as PublishPacket;
    return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())));
  }
}
