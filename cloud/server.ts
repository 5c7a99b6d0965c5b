import { serve, type ServerType } from '@hono/node-server';
import { createLogger, type Logger } from '../shared/log/logger.ts';
import { topics } from '../shared/sync/messages.ts';
import { createApp } from './app.ts';
import { keysDir, pgliteDir, type CloudConfig } from './config.ts';
import type { CloudContext } from './context.ts';
import { openDb, type OpenDb } from './db/open.ts';
import { loadIssuerKey } from './keys/issuer.ts';
import { ensureAdmin } from './auth/service.ts';
import { Broker } from './mqtt/broker.ts';
import { DeviceAuth, loadDeviceSecret } from './devices/auth.ts';
import { UplinkService } from './sync/uplink.ts';
import { changeLogId } from './sync/changes.ts';
import { listDesired } from './gates/service.ts';
import { deviceRecord, recordDevice, recordRefusals } from './devices/service.ts';
import { ensureDefaultSite } from './sites/service.ts';
import { recordResponse, resendPending } from './gates/commands.ts';
import type { Mode } from '../shared/rules/model.ts';

/** HQ: database, broker, upload ingest and HTTP API, started and stopped as one. */
export class Cloud {
  private opened: OpenDb | undefined;
  private broker: Broker | undefined;
  private uplink: UplinkService | undefined;
  private http: ServerType | undefined;
  private bells = new Map<string, NodeJS.Timeout>();
  ctx: CloudContext | undefined;
  httpPort = 0;
  mqttPort = 0;

  constructor(readonly config: CloudConfig, private readonly log: Logger = createLogger('cloud'), private readonly now = () => Date.now()) {}

  get url(): string { return `http://${this.config.httpHost}:${this.httpPort}`; }
  get mqttUrl(): string { return this.config.mqttUrl ?? `mqtt://${this.config.mqttHost}:${this.mqttPort}`; }

  async start(): Promise<void> {
    const { config, log } = this;
    try {
      this.opened = await openDb({ databaseUrl: config.databaseUrl, pgliteDir: pgliteDir(config) });
      const key = await loadIssuerKey(this.opened.db, keysDir(config));
      const admin = await ensureAdmin(this.opened.db, config.adminPassword);
      if (admin.password) log.warn({ username: 'admin', password: admin.password }, 'first boot: made the admin user with this password (shown once; set ADMIN_PASSWORD to choose it)');
      await ensureDefaultSite(this.opened.db, config.site);
      const db = this.opened.db;
      // Devices are checked against HQ's records: provisioned, active, in their role.
      const deviceAuth = new DeviceAuth(loadDeviceSecret(keysDir(config), config.deviceSecret), config.deviceAuth === 'required', {
        record: (site, device) => deviceRecord(db, site, device),
        refused: (id, reason, detail) => {
          log.warn({ site: id.site, device: id.device, reason, ...detail }, 'connection refused');
          recordRefusals(db, id.site, id.device, 'connection', 1, { reason, at: this.now(), ...detail })
            .catch((err: Error) => log.error({ err: err.message }, 'could not count a refused connection'));
        },
      });
      if (!config.mqttUrl) {
        this.broker = new Broker({ host: config.mqttHost, port: config.mqttPort, log: log.child('mqtt'), auth: deviceAuth });
        await this.broker.start();
        this.mqttPort = this.broker.port;
      }
      const uplink = new UplinkService({
        url: this.mqttUrl, db: this.opened.db, log: log.child('uplink'), credential: deviceAuth.hq,
        entryLimits: { aheadMs: config.entryClockToleranceSeconds * 1000, staleMs: config.entryMaxAgeHours * 3_600_000 },
        onDevice: async (site, device, what, payload) => {
          if (what === 'cmd/res') return recordResponse(ctx, site, device, payload);
          await recordDevice(ctx, site, device, what, payload);
          if (what === 'status' && (payload as { state?: string }).state === 'online') await resendPending(ctx, site, device);
        },
      });
      // The doorbell rings at most every 250 ms per site: a burst of sales is one pull per gate.
      const bells = new Map<string, NodeJS.Timeout>();
      this.bells = bells;
      const ctx: CloudContext = {
        config, db: this.opened.db, key, log, deviceAuth, now: this.now, changeLog: await changeLogId(this.opened.db),
        notify: (site) => {
          if (bells.has(site)) return;
          bells.set(site, setTimeout(() => {
            bells.delete(site);
            uplink.publish(topics.notify(site), { at: this.now() });
          }, 250));
        },
        publishDesired: (site, device, desired) =>
          uplink.publish(device ? topics.desired(site, device) : topics.siteDesired(site), desired, 1, true),
        publish: (topic, payload, qos) => uplink.publish(topic, payload, qos),
      };
      this.ctx = ctx;
      this.uplink = uplink;
      await uplink.start();
      // The broker's retained messages may not have survived a restart: publish them again.
      for (const d of await listDesired(ctx)) ctx.publishDesired(d.site, d.device, { mode: d.mode as Mode, version: d.version, at: d.setAt.getTime() });
      const app = createApp(ctx);
      this.http = await new Promise<ServerType>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort }, () => resolve(s));
        s.once('error', reject); // a busy port rejects start(), it does not crash the process
      });
      this.httpPort = (this.http.address() as { port: number }).port;
      log.info({ http: this.url, mqtt: this.mqttUrl, db: this.opened.kind, keyId: key.keyId }, 'cloud started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const t of this.bells.values()) clearTimeout(t);
    this.bells.clear();
    const http = this.http;
    this.http = undefined;
    if (http) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        (http as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
    await this.uplink?.stop();
    this.uplink = undefined;
    await this.broker?.stop();
    this.broker = undefined;
    await this.opened?.close();
    this.opened = undefined;
  }
}
