import { KioskPresence } from './presence.ts';
import { fetchTrusting } from '../../shared/net/fetch.ts';
import { readCa } from '../../shared/net/tls.ts';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { createIdCardReader } from '../../hardware/idcard/create.ts';
import type { IdCardReader } from '../../hardware/idcard/port.ts';
import { createPrinter } from '../../hardware/printer/create.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import { createScanner } from '../../hardware/scanner/create.ts';
import type { Scanner } from '../../hardware/scanner/port.ts';
import { deviceUsername } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { KioskConfig } from './config.ts';
import { openKioskDb } from './db/open.ts';
import { KioskDownlink } from './downlink.ts';
import { HqClient } from './hq.ts';
import { Kiosk } from './kiosk.ts';
import { kioskApp, listen, type KioskStatus } from './server.ts';
import { KioskStore } from './store.ts';
import { PickupUplink } from './uplink.ts';

export interface KioskDeps {
  log: Logger;
  /** Injected printer (tests, the demo's simulator); else the configured driver. */
  printer?: PrinterPort;
  scanner?: Scanner;
  idcard?: IdCardReader;
  now?: () => number;
  fetch?: typeof fetch;
  random?: () => number;
}

/**
 * One self-service kiosk: SQLite state, the change-log pull, the pickup outbox, printer and
 * scanner, and the touch-screen page. Constructor assigns; start() and stop() own the rest.
 */
export class KioskAgent {
  store!: KioskStore;
  kiosk!: Kiosk;
  downlink!: KioskDownlink;
  presence: KioskPresence | undefined;
  uplink!: PickupUplink;
  printer!: PrinterPort;
  hq!: HqClient;
  private scanner: Scanner | undefined;
  private server: ServerType | undefined;
  private idcard: IdCardReader | undefined;
  private lastScan: { seq: number; text: string } | null = null;
  private wanFetch: ReturnType<typeof fetchTrusting> | undefined;
  /** The last ID card read; its number stays here, the screen only learns that one was read. */
  private lastCard: { seq: number; idNumber: string } | null = null;
  port = 0;

  constructor(readonly config: KioskConfig, private readonly deps: KioskDeps) {}

  get url(): string {
    return `http://${this.config.http.host}:${this.port}`;
  }

  async start(): Promise<void> {
    const { config, deps } = this;
    const now = deps.now ?? Date.now;
    const log = deps.log;
    this.store = new KioskStore(openKioskDb(join(config.dataDir, 'kiosk.sqlite')), now);
    try {
      // A site CA (config `ca`) for https:// and mqtts://: HQ or the hub is checked against it.
      const ca = config.ca ? readCa(config.ca, 'ca') : undefined;
      this.wanFetch = fetchTrusting(ca);
      this.hq = new HqClient({
        cloudUrl: config.cloudUrl, username: deviceUsername({ role: 'kiosk', site: config.site, device: config.device }),
        token: config.token, timeoutMs: config.hqTimeoutMs, fetch: deps.fetch ?? this.wanFetch,
      });
      this.printer = deps.printer ?? await createPrinter(config.printer, { log: log.child('printer') });
      await this.printer.start();
      this.printer.on('error', (err) => log.warn({ err: err.message }, 'printer line'));
      this.uplink = new PickupUplink({ store: this.store, hq: this.hq, device: config.device, log: log.child('uplink'), now, retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs, random: deps.random });
      this.downlink = new KioskDownlink({ store: this.store, hq: this.hq, site: config.site, intervalMs: config.pullIntervalMs, log: log.child('downlink'), now });
      this.kiosk = new Kiosk({ config, store: this.store, hq: this.hq, printer: this.printer, log, now, onQueued: () => void this.uplink.kick() });
      if (deps.scanner || config.scanner) {
        this.scanner = deps.scanner ?? await createScanner(config.scanner!, { log: log.child('scanner') });
        this.scanner.on('code', (c) => (this.lastScan = { seq: (this.lastScan?.seq ?? 0) + 1, text: c.text }));
        this.scanner.on('error', (err) => log.warn({ err: err.message }, 'scanner'));
        await this.scanner.start();
      }
      if (deps.idcard || config.idcard) {
        this.idcard = deps.idcard ?? await createIdCardReader(config.idcard!, { log: log.child('idcard') });
        this.idcard.on('idcard', (card) => (this.lastCard = { seq: (this.lastCard?.seq ?? 0) + 1, idNumber: card.idNumber }));
        this.idcard.on('error', (err) => log.warn({ err: err.message }, 'ID card reader'));
        await this.idcard.start();
      }
      const app = kioskApp(this.kiosk, () => this.status(), log.child('http'), () => this.lastCard?.idNumber);
      const { server, port } = await listen(app, config.http.host, config.http.port);
      this.server = server;
      this.port = port;
      this.downlink.start();
      this.uplink.start();
      if (config.mqttUrl) {
        this.presence = new KioskPresence({
          url: config.mqttUrl, site: config.site, device: config.device, heartbeatMs: config.heartbeatMs, log: log.child('presence'), now, ca,
          credential: config.token ? { username: deviceUsername({ role: 'kiosk', site: config.site, device: config.device }), token: config.token } : undefined,
          status: () => ({ checkpoint: this.store.checkpoint(), outbox: this.store.outboxSize(), error: this.hq.lastError ?? null }),
          onNotify: () => void this.downlink.pull(),
        });
        this.presence.start();
      }
      log.info({ url: this.url, device: config.device, site: config.site }, 'kiosk started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  status(): KioskStatus {
    const printer = (this.printer as { lastStatus?: unknown }).lastStatus ?? null;
    return {
      device: this.config.device, site: this.config.site, locale: this.config.locale,
      online: this.hq.lastContactAt !== undefined && this.hq.lastError === undefined,
      checkpoint: this.store.checkpoint(), bookings: this.store.bookingCount(), outbox: this.store.outboxSize(),
      printer, scan: this.lastScan, card: this.lastCard ? { seq: this.lastCard.seq } : null,
    };
  }

  async stop(): Promise<void> {
    // Calls in flight are aborted first: a pull stalled on a dead line must not hold the stop.
    const stopping = [this.downlink?.stop(), this.uplink?.stop(), this.presence?.stop()];
    this.hq?.close();
    await Promise.all(stopping);
    if (this.server) {
      const s = this.server;
      this.server = undefined;
      (s as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await this.scanner?.stop().catch(() => undefined);
    await this.idcard?.stop().catch(() => undefined);
    await this.printer?.stop().catch(() => undefined);
    this.store?.db.$client.close();
    await this.wanFetch?.close();
    this.wanFetch = undefined;
  }
}
