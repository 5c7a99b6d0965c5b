import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../../shared/log/logger.ts';
import type { DeviceAuth } from '../devices/auth.ts';

/**
 * The in-process MQTT broker (aedes, MQTT 3.1.1). Its queues live in memory: devices keep
 * the durable copy of everything in their own outbox, so a broker restart loses nothing.
 */
export class Broker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly opts: { host: string; port: number; log: Logger; auth?: DeviceAuth }) {}

  async start(): Promise<void> {
    // Devices connect as "role:site:device" with their token; each may touch its own topics only.
    const aedes = await Aedes.createBroker((this.opts.auth?.brokerHooks() ?? {}) as object);
    aedes.on('clientError', (client, err) => this.opts.log.debug(() => ({ client: client.id, err: err.message }), 'client error'));
    const server = createServer(aedes.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.aedes = aedes;
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    this.opts.log.info({ port: this.port }, 'mqtt broker listening');
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = this.server = undefined;
    if (server) {
      server.close();
      // close() waits for clients; aedes.close() ends their connections.
    }
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
}
