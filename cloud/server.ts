import { join } from 'node:path';
import { NoticeSender } from './channels/notices.ts';
import { CalendarPusher } from './channels/calendar.ts';
import { serve, type ServerType } from '@hono/node-server';
import { createServer as createHttpsServer } from 'node:https';
import { createLogger, type Logger } from '../shared/log/logger.ts';
import { topics } from '../shared/sync/topics.ts';
import { createApp } from './app.ts';
import { keysDir, mqttLimits, pgliteDir, type CloudConfig } from './config.ts';
import { readCa, readServerTls } from '../shared/net/tls.ts';
import { DynsecAccounts } from './mqtt/dynsec.ts';
import { listIssued, onBroker } from './devices/issued.ts';
import type { CloudContext } from './context.ts';
import { DeviceSignal } from './live/signal.ts';
import { openDb, type OpenDb } from './db/open.ts';
import { loadIssuerKey } from './keys/issuer.ts';
import { AnchorLog, AuditAnchorer, loadAnchorKey } from './audit/anchor.ts';
import { ensureAdmin } from './auth/service.ts';
import { Broker } from './mqtt/broker.ts';
import { DeviceAuth, loadDeviceSecret } from './devices/auth.ts';
import { UplinkService } from './sync/uplink.ts';
import { recordChargesFromBroker } from './wallet/charges.ts';
import { changeLogId } from './sync/changes.ts';
import { chainPending } from './audit/chain.ts';
import { listDesired } from './gates/service.ts';
import { deviceRecord, recordDevice, recordRefusals } from './devices/service.ts';
import { ensureDefaultSite } from './sites/service.ts';
import { recordResponse, resendPending } from './gates/commands.ts';
import type { Mode } from '../shared/rules/model.ts';
import type pg from 'pg';
import { Lease } from './cluster/lease.ts';

/** HQ: database, broker, upload ingest and HTTP API, started and stopped as one. */
export class Cloud {
  private opened: OpenDb | undefined;
  private broker: Broker | undefined;
  private uplink: UplinkService | undefined;
  private lease: Lease | undefined;
  private dynsec: DynsecAccounts | undefined;
  private http: ServerType | undefined;
  private bells = new Map<string, NodeJS.Timeout>();
  private anchorer: AuditAnchorer | undefined;
  ctx: CloudContext | undefined;
  private notices: NoticeSender | undefined;
  private calendar: CalendarPusher | undefined;
  httpPort = 0;
  mqttPort = 0;

  constructor(readonly config: CloudConfig, private readonly log: Logger = createLogger('cloud'), private readonly now = () => Date.now()) {}

  private get tls(): boolean { return this.config.tlsCert !== undefined; }
  get url(): string { return `${this.tls ? 'https' : 'http'}://${hostFor(this.config.httpHost)}:${this.httpPort}`; }
  get mqttUrl(): string { return this.config.mqttUrl ?? `${this.tls ? 'mqtts' : 'mqtt'}://${hostFor(this.config.mqttHost)}:${this.mqttPort}`; }
  /** The built-in broker's socket counts (undefined with an external broker). */
  get brokerStats() { return this.broker?.stats; }

  async start(): Promise<void> {
    const { config, log } = this;
    try {
      this.opened = await openDb({ databaseUrl: config.databaseUrl, pgliteDir: pgliteDir(config), log: log.child('db') });
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
      const tls = config.tlsCert && config.tlsKey ? readServerTls({ cert: config.tlsCert, key: config.tlsKey }, 'TLS_CERT/TLS_KEY') : undefined;
      if (!config.mqttUrl) {
        this.broker = new Broker({ host: config.mqttHost, port: config.mqttPort, log: log.child('mqtt'), auth: deviceAuth, limits: mqttLimits(config), tls });
        await this.broker.start();
        this.mqttPort = this.broker.port;
      }
      // HQ's own session: at the built-in broker with a credential of its own, over loopback in
      // the same process (the certificate is the one just loaded: nothing to verify); at an
      // external broker with MQTT_USERNAME / MQTT_PASSWORD, its certificate checked.
      const external = config.mqttUrl !== undefined;
      const brokerLogin = external
        ? (config.mqttUsername ? { username: config.mqttUsername, token: config.mqttPassword ?? '' } : undefined)
        : deviceAuth.hq;
      const brokerTls = external
        ? (config.mqttCa ? { ca: readCa(config.mqttCa, 'MQTT_CA') } : {})
        : (tls ? { rejectUnauthorized: false } : {});
      if (external && config.mqttAccounts === 'dynsec' && config.deviceAuth === 'required') {
        if (!brokerLogin) throw new Error('cloud config: MQTT_USERNAME and MQTT_PASSWORD: HQ needs its own login at the broker named by MQTT_URL (or MQTT_ACCOUNTS=manual)');
        this.dynsec = new DynsecAccounts({
          url: config.mqttUrl!, username: brokerLogin.username, password: brokerLogin.token, tls: brokerTls, log: log.child('dynsec'),
          accounts: async () => (await listIssued(db)).filter(onBroker).map((d) => ({ ...d, ...deviceAuth.issue(d.role, d.site, d.device) })),
        });
        await this.dynsec.start();
      } else if (external) {
        log.warn({ mqttUrl: config.mqttUrl }, 'MQTT_ACCOUNTS=manual: the broker at MQTT_URL must check device credentials and topics itself');
      }
      const deviceSignal = new DeviceSignal();
      const uplink = new UplinkService({
        url: this.mqttUrl, db: this.opened.db, log: log.child('uplink'), credential: brokerLogin, tls: brokerTls,
        // A named node is its own broker client, and shares device messages with the other nodes.
        ...(config.node && { clientId: `hq-${config.node}`, sharedGroup: config.mqttUrl ? 'hq' : undefined }),
        entryLimits: { aheadMs: config.entryClockToleranceSeconds * 1000, staleMs: config.entryMaxAgeHours * 3_600_000 },
        // Retained desired modes again on every (re)connect: the broker may have restarted without
        // them (by the lease's holder when several nodes share the broker).
        onConnect: () => void (this.lease?.held === false ? Promise.resolve() : this.republishDesired()).catch((err: Error) => log.error({ err: err.message }, 'could not publish desired modes')),
        onCharges: (site, device, body) => recordChargesFromBroker(ctx, site, device, body),
        onDevice: async (site, device, what, payload) => {
          if (what === 'cmd/res') {
            await recordResponse(ctx, site, device, payload);
            return deviceSignal.emit(site);
          }
          await recordDevice(ctx, site, device, what, payload);
          deviceSignal.emit(site);
          if (what === 'status' && (payload as { state?: string }).state === 'online') await resendPending(ctx, site, device);
        },
      });
      // The doorbell rings at most every 250 ms per site: a burst of sales is one pull per gate.
      const bells = new Map<string, NodeJS.Timeout>();
      this.bells = bells;
      // Records a crash left committed but unchained (cloud/audit/chain.ts auditedTx) go on the chain first.
      await chainPending(this.opened.db);
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
        brokerAccounts: this.dynsec,
        deviceSignal,
        mqttUrl: this.mqttUrl,
      };
      // The audit chain's head, signed with a key the database does not hold, into a file.
      this.anchorer = new AuditAnchorer({
        db, key: loadAnchorKey(keysDir(config)), log: new AnchorLog(config.auditAnchorLog ?? join(config.dataDir, 'audit', 'anchors.jsonl')),
        intervalMs: config.auditAnchorSeconds * 1000, now: this.now, logger: log.child('audit'),
      });
      this.anchorer.start();
      ctx.audit = this.anchorer;
      this.ctx = ctx;
      this.uplink = uplink;
      await uplink.start();
      // The broker's retained messages may not have survived a restart: publish them again,
      // from one node at a time (the lease's holder; an older version never wins at a device).
      this.lease = new Lease({
        pool: this.opened.kind === 'postgres' ? (this.opened.db as unknown as { $client: pg.Pool }).$client : undefined,
        key: 7303, name: 'hq', log: log.child('lease'),
        onAcquire: () => this.republishDesired(),
      });
      const lease = this.lease;
      if (config.node) ctx.cluster = { node: config.node, leader: () => lease.held };
      await lease.start();
      this.notices = new NoticeSender({ db: ctx.db, log: log.child('notices'), now: ctx.now, retryBaseMs: config.noticeRetryMinutes * 60_000, intervalMs: config.noticeIntervalMs, perMinute: config.noticePerMinute });
      this.notices.start();
      this.calendar = new CalendarPusher({ db: ctx.db, log: log.child('calendar'), now: ctx.now, timeZone: config.timeZone, intervalMs: config.calendarIntervalMs });
      this.calendar.start();
      const app = createApp(ctx, { webDir: config.webDir === 'off' ? undefined : config.webDir });
      this.http = await new Promise<ServerType>((resolve, reject) => {
        const s = tls
          ? serve({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort, createServer: createHttpsServer, serverOptions: { ...tls, minVersion: 'TLSv1.2' } }, () => resolve(s))
          : serve({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort }, () => resolve(s));
        s.once('error', reject); // a busy port rejects start(), it does not crash the process
      });
      this.httpPort = (this.http.address() as { port: number }).port;
      log.info({ http: this.url, mqtt: this.mqttUrl, db: this.opened.kind, keyId: key.keyId, tls: this.tls }, 'cloud started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Every desired mode HQ holds, retained, at the broker (on every connect of HQ's session). */
  private async republishDesired(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    for (const d of await listDesired(ctx)) ctx.publishDesired(d.site, d.device, { mode: d.mode as Mode, version: d.version, at: d.setAt.getTime() });
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
    await this.calendar?.stop();
    this.calendar = undefined;
    await this.notices?.stop();
    this.notices = undefined;
    await this.lease?.stop();
    this.lease = undefined;
    await this.uplink?.stop();
    this.uplink = undefined;
    await this.dynsec?.stop();
    this.dynsec = undefined;
    await this.broker?.stop();
    this.broker = undefined;
    await this.anchorer?.stop();
    this.anchorer = undefined;
    await this.opened?.close();
    this.opened = undefined;
  }
}

/** A client on this machine reaches a wildcard listener through loopback. */
function hostFor(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
