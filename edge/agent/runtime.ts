import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { createPrinter } from '../../hardware/printer/create.ts';
import type { PrinterConfig } from '../../hardware/printer/create.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import { deviceUsername, type DeviceCredential, type DeviceRole } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { fetchTrusting } from '../../shared/net/fetch.ts';
import { readCa } from '../../shared/net/tls.ts';
import { HqClient } from './hq.ts';
import { AgentPresence } from './presence.ts';

type Stoppable = { stop(): Promise<void> | void };
type Loop = Stoppable & { start(): void };

export interface RuntimeConfig {
  device: string; site: string; cloudUrl: string; token?: string; mqttUrl?: string; ca?: string;
  hqTimeoutMs: number; heartbeatMs: number; printer: PrinterConfig; http: { host: string; port: number };
}

/**
 * What every site agent (kiosk, POS) is made of besides its own logic: the link to HQ (or the
 * site hub) with the device credential and the site CA, the receipt/ticket printer, the local
 * page's HTTP server, the sync loops, presence on the broker, and one stop that takes them
 * down in the order that never hangs: calls in flight aborted first (a pull stalled on a dead
 * line must not hold the stop), then the server, the hardware, and last the store.
 */
export class AgentRuntime {
  hq!: HqClient;
  ca: Buffer | undefined;
  printer!: PrinterPort;
  presence: AgentPresence | undefined;
  port = 0;
  private server: ServerType | undefined;
  private wanFetch: ReturnType<typeof fetchTrusting> | undefined;
  private readonly loops: Loop[] = [];
  private readonly hardware: Stoppable[] = [];

  constructor(private readonly config: RuntimeConfig, readonly role: DeviceRole, private readonly deps: { log: Logger; now: () => number; fetch?: typeof fetch; printer?: PrinterPort }) {}

  get url(): string { return `http://${this.config.http.host}:${this.port}`; }
  get username(): string { return deviceUsername({ role: this.role, site: this.config.site, device: this.config.device }); }
  get credential(): DeviceCredential | undefined { return this.config.token ? { username: this.username, token: this.config.token } : undefined; }

  /** The HQ client (and the CA read once for https:// and mqtts://), then the printer. */
  async open(): Promise<void> {
    const { config, deps } = this;
    this.ca = config.ca ? readCa(config.ca, 'ca') : undefined;
    this.wanFetch = fetchTrusting(this.ca);
    this.hq = new HqClient({ cloudUrl: config.cloudUrl, username: this.username, token: config.token, timeoutMs: config.hqTimeoutMs, fetch: deps.fetch ?? this.wanFetch });
    this.printer = deps.printer ?? await createPrinter(config.printer, { log: deps.log.child('printer') });
    this.hardware.push(this.printer);
    await this.printer.start();
    this.printer.on('error', (err) => deps.log.warn({ err: err.message }, 'printer line'));
  }

  /** A started device (reader, scanner, locker bank), stopped with the agent. */
  hold<T extends Stoppable>(device: T): T {
    this.hardware.push(device);
    return device;
  }

  /** Serves the local page on the configured host and port (0: any free port). */
  async listen(app: Hono<any>): Promise<void> {
    const { host, port } = this.config.http;
    const { server, port: bound } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: host, port }, () => {
        s.off('error', reject);
        resolve({ server: s, port: (s.address() as { port: number }).port });
      });
      s.once('error', reject);
    });
    this.server = server;
    this.port = bound;
  }

  /** Starts the sync loops (pull, outbox), stopped first at stop(). */
  run(...loops: Loop[]): void {
    for (const l of loops) {
      this.loops.push(l);
      l.start();
    }
  }

  /** Presence and the doorbell on the site's broker, when the config names one. */
  present(o: Pick<ConstructorParameters<typeof AgentPresence>[0], 'status' | 'onNotify' | 'extra'>): AgentPresence | undefined {
    const { config, deps } = this;
    if (!config.mqttUrl) return undefined;
    this.presence = new AgentPresence({
      url: config.mqttUrl, role: this.role, site: config.site, device: config.device, heartbeatMs: config.heartbeatMs,
      log: deps.log.child('presence'), now: deps.now, ca: this.ca, credential: this.credential, ...o,
    });
    this.presence.start();
    return this.presence;
  }

  async stop(closeStore: () => void): Promise<void> {
    const stopping = [...this.loops.map((l) => l.stop()), this.presence?.stop()];
    this.loops.length = 0;
    this.hq?.close();
    await Promise.all(stopping);
    if (this.server) {
      const s = this.server;
      this.server = undefined;
      (s as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    for (const h of this.hardware.splice(0).reverse()) await Promise.resolve(h.stop()).catch(() => undefined);
    closeStore();
    await this.wanFetch?.close();
    this.wanFetch = undefined;
  }
}

/** What a site agent shows of its runtime (tests and the demo read these). */
export abstract class SiteAgent {
  protected readonly rt: AgentRuntime;

  constructor(config: RuntimeConfig, role: DeviceRole, deps: { log: Logger; now?: () => number; fetch?: typeof fetch; printer?: PrinterPort }) {
    this.rt = new AgentRuntime(config, role, { log: deps.log, now: deps.now ?? Date.now, fetch: deps.fetch, printer: deps.printer });
  }

  get url(): string { return this.rt.url; }
  get port(): number { return this.rt.port; }
  get hq(): HqClient { return this.rt.hq; }
  get printer(): PrinterPort { return this.rt.printer; }
  get presence(): AgentPresence | undefined { return this.rt.presence; }
}
