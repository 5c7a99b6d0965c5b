import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { createCardReader } from '../../hardware/card/create.ts';
import type { CardReader } from '../../hardware/card/port.ts';
import { createPrinter } from '../../hardware/printer/create.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import { deviceUsername } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { fetchTrusting } from '../../shared/net/fetch.ts';
import { readCa } from '../../shared/net/tls.ts';
import { HqClient } from '../kiosk/hq.ts';
import { MqttSession } from '../../shared/sync/session.ts';
import { topics } from '../../shared/sync/topics.ts';
import { listen } from '../kiosk/server.ts';
import type { PosConfig } from './config.ts';
import { createLockerBank } from '../../hardware/locker/create.ts';
import type { LockerBank } from '../../hardware/locker/port.ts';
import { openLockersOf, Pos } from './pos.ts';
import { posApp, type PosStatus } from './server.ts';
import { PosStore } from './store.ts';
import { PosDownlink, PosUplink } from './sync.ts';

export interface PosDeps {
  log: Logger;
  printer?: PrinterPort;
  card?: CardReader;
  lockers?: LockerBank;
  now?: () => number;
  fetch?: typeof fetch;
  random?: () => number;
}

/**
 * One point of sale at a water-park shop: SQLite cache of balances + charges (its outbox),
 * the pull of balances and blocked bands, the upload of charges, MQTT presence and doorbell
 * (the kiosk's session), the wristband reader and receipt printer, the cashier's page.
 */
export class PosAgent {
  store!: PosStore;
  pos!: Pos;
  hq!: HqClient;
  downlink!: PosDownlink;
  uplink!: PosUplink;
  presence: MqttSession | undefined;
  printer!: PrinterPort;
  private card: CardReader | undefined;
  lockers: LockerBank | undefined;
  private server: ServerType | undefined;
  private wanFetch: ReturnType<typeof fetchTrusting> | undefined;
  private lastBand: { seq: number; uid: string } | null = null;
  port = 0;

  constructor(readonly config: PosConfig, private readonly deps: PosDeps) {}

  get url(): string {
    return `http://${this.config.http.host}:${this.port}`;
  }

  async start(): Promise<void> {
    const { config, deps } = this;
    const now = deps.now ?? Date.now;
    const log = deps.log;
    this.store = new PosStore(join(config.dataDir, 'pos.sqlite'), now);
    try {
      const ca = config.ca ? readCa(config.ca, 'ca') : undefined;
      this.wanFetch = fetchTrusting(ca);
      const username = deviceUsername({ role: 'pos', site: config.site, device: config.device });
      this.hq = new HqClient({ cloudUrl: config.cloudUrl, username, token: config.token, timeoutMs: config.hqTimeoutMs, fetch: deps.fetch ?? this.wanFetch });
      this.printer = deps.printer ?? await createPrinter(config.printer, { log: log.child('printer') });
      await this.printer.start();
      this.printer.on('error', (err) => log.warn({ err: err.message }, 'printer line'));
      this.downlink = new PosDownlink({ store: this.store, hq: this.hq, site: config.site, shop: config.shop, intervalMs: config.pullIntervalMs, log: log.child('downlink'), now,
        // The line is back: what was charged meanwhile goes now, not at the end of the backoff.
        onBack: () => void this.uplink.kick() });
      this.uplink = new PosUplink({
        store: this.store, hq: this.hq, site: config.site, device: config.device, shop: config.shop, log: log.child('uplink'), now,
        retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs, random: deps.random,
      });
      this.pos = new Pos({ config, store: this.store, log, now, lastPullAt: () => this.downlink.lastOkAt, printer: this.printer, onCharged: () => this.uplink.kick() });
      if (deps.lockers || config.lockers) {
        this.lockers = deps.lockers ?? await createLockerBank(config.lockers!);
        this.lockers.on('error', (err) => log.warn({ err: err.message }, 'locker bank'));
        await this.lockers.start();
      }
      const openLockers = this.lockers ? (uid: string) => openLockersOf(this.store, this.lockers!, uid, log.child('lockers')) : undefined;
      if (deps.card || config.card) {
        this.card = deps.card ?? await createCardReader(config.card!, { log: log.child('card') });
        this.card.on('card', (c) => {
          this.lastBand = { seq: (this.lastBand?.seq ?? 0) + 1, uid: c.uid };
          // At a locker station the band on the reader opens its lockers at once.
          if (openLockers) openLockers(c.uid).catch((err: Error) => log.info({ band: c.uid, err: err.message }, 'no locker opened'));
        });
        this.card.on('error', (err) => log.warn({ err: err.message }, 'band reader'));
        await this.card.start();
      }
      const app = posApp(this.pos, () => this.status(), () => this.store.items(), () => this.store.recentCharges(), log.child('http'), openLockers);
      const { server, port } = await listen(app as never, config.http.host, config.http.port);
      this.server = server;
      this.port = port;
      this.downlink.start();
      this.uplink.start();
      if (config.mqttUrl) {
        // The shared session (shared/sync/session.ts): presence by last will and a retained
        // status heartbeat, and the doorbell that makes the till pull balances at once.
        this.presence = new MqttSession({
          url: config.mqttUrl, role: 'pos', site: config.site, device: config.device, ca, log: log.child('presence'),
          credential: config.token ? { username, token: config.token } : undefined,
          keepaliveS: 30, reconnectMs: 1000, subscriptions: [topics.notify(config.site)],
          heartbeat: { ms: config.heartbeatMs, status: () => ({ state: 'online', at: now(), checkpoint: this.store.checkpoint(), outbox: this.store.outboxSize(), error: this.hq.lastError ?? null }) },
          // The doorbell may have rung while the till was away.
          onConnect: () => void this.downlink.pull(),
          onMessage: (topic) => {
            if (topic === topics.notify(config.site)) void this.downlink.pull();
          },
        });
        this.presence.start();
      }
      log.info({ url: this.url, device: config.device, shop: config.shop }, 'pos started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  status(): PosStatus {
    return {
      device: this.config.device, site: this.config.site, shop: this.config.shop, online: this.pos.online(), checkpoint: this.store.checkpoint(),
      wallets: this.store.walletCount(), outbox: this.store.outboxSize(), band: this.lastBand,
    };
  }

  async stop(): Promise<void> {
    const stopping = [this.downlink?.stop(), this.uplink?.stop(), this.presence?.stop()];
    this.hq?.close();
    await Promise.all(stopping);
    if (this.server) {
      const s = this.server;
      this.server = undefined;
      (s as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await this.card?.stop().catch(() => undefined);
    await this.lockers?.stop().catch(() => undefined);
    await this.printer?.stop().catch(() => undefined);
    if (this.store?.db.open) this.store.close();
    await this.wanFetch?.close();
    this.wanFetch = undefined;
  }
}
