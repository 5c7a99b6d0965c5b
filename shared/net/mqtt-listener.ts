import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Aedes } from 'aedes';
import { z } from 'zod';
import type { Logger } from '../log/logger.ts';
import { MqttGuard, type MqttLimits } from './mqtt-guard.ts';

const bytes = z.coerce.number().int().min(64).max(256 * 1024 * 1024);

/**
 * Limits of an MQTT listener, with their defaults. Devices send small JSON and packed entry
 * batches (a 1,000-entry batch deflates to ~40 KB), so 256 KiB leaves room; retained
 * messages are modes and presence of a few hundred bytes.
 */
export const mqttLimitsSchema = z.object({
  maxPacketBytes: bytes.default(256 * 1024),
  maxConnectBytes: bytes.default(8 * 1024),
  maxRetainedBytes: bytes.default(16 * 1024),
  connectTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Sockets open at once; more are closed as they arrive. */
  maxConnections: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
  /** A client asking for a longer keep-alive (or none, 0) is refused: a silent socket must be found out. */
  maxKeepaliveSeconds: z.coerce.number().int().min(1).max(65_535).default(300),
});
export type MqttListenerLimits = z.infer<typeof mqttLimitsSchema>;
export const DEFAULT_MQTT_LIMITS: MqttListenerLimits = mqttLimitsSchema.parse({});

/** The aedes options that carry these limits (aedes' own CONNECT timer and keep-alive cap). */
export function aedesLimitOptions(limits: MqttListenerLimits) {
  return { connectTimeout: limits.connectTimeoutMs, keepaliveLimit: limits.maxKeepaliveSeconds };
}

/**
 * One TCP or TLS listener in front of an aedes broker, for HQ's broker and the site hub's LAN
 * broker alike. Every socket goes through an MqttGuard (packet sizes, CONNECT timeout); the
 * guard learns from aedes' `client` event that the CONNECT was accepted. `stop()` closes
 * every socket, half-done TLS handshakes included.
 */
export class MqttListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Sockets the guard closed, by reason, since start (for logs and tests). */
  readonly refused = new Map<string, number>();
  port = 0;

  constructor(private readonly opts: {
    aedes: Aedes; host: string; port: number; limits: MqttListenerLimits; log: Logger;
    /** Certificate and key (PEM): MQTT over TLS. Absent: plain TCP. */
    tls?: { cert: Buffer; key: Buffer };
  }) {}

  get secure(): boolean { return this.opts.tls !== undefined; }

  async start(): Promise<void> {
    const { aedes, limits, log, tls } = this.opts;
    aedes.on('client', (client) => {
      const conn = (client as unknown as { conn?: unknown }).conn;
      if (conn instanceof MqttGuard) conn.accept();
    });
    const onSocket = (socket: Socket) => {
      const guard = new MqttGuard(socket, limits, (reason, detail) => {
        this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
        // Port scanners and dead links idle out all day; a breach of a size limit is worth a warning.
        const fields = { reason, remote: socket.remoteAddress, ...detail };
        if (reason === 'connect_timeout') log.debug(() => fields, 'mqtt socket closed');
        else log.warn(fields, 'mqtt socket closed');
      });
      aedes.handle(guard as never);
    };
    const server = tls
      ? createTlsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', handshakeTimeout: limits.connectTimeoutMs }, onSocket)
      : createTcpServer(onSocket);
    server.maxConnections = limits.maxConnections;
    // The raw TCP socket, TLS or not: what stop() must close.
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // With a listener of its own, Node leaves a failed handshake's socket open: close it here.
    server.on('tlsClientError', (err: Error, socket: Socket) => {
      log.debug(() => ({ err: err.message, remote: socket.remoteAddress }), 'TLS handshake failed');
      this.refused.set('tls_handshake', (this.refused.get('tls_handshake') ?? 0) + 1);
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error({ err: err.message }, 'mqtt listener error'));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  /** Stops listening and closes every socket (aedes should be closed first, so clients see a clean end where they can). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Sockets open now (signed in or not). */
  get connections(): number {
    return this.sockets.size;
  }
}

export type { MqttLimits };
