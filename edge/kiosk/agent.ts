import { join } from 'node:path';
import { createIdCardReader } from '../../hardware/idcard/create.ts';
import type { IdCardReader } from '../../hardware/idcard/port.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import { createScanner } from '../../hardware/scanner/create.ts';
import type { Scanner } from '../../hardware/scanner/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { SiteAgent } from '../agent/runtime.ts';
import type { KioskConfig } from './config.ts';
import { openKioskDb } from './db/open.ts';
import { KioskDownlink } from './downlink.ts';
import { Kiosk } from './kiosk.ts';
import { kioskApp, type KioskStatus } from './server.ts';
import { KioskStore } from './store.ts';
import { PickupUplink } from './uplink.ts';
import { KioskWallet } from './wallet.ts';

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
export class KioskAgent extends SiteAgent {
  store!: KioskStore;
  kiosk!: Kiosk;
  wallet!: KioskWallet;
  downlink!: KioskDownlink;
  uplink!: PickupUplink;
  private lastScan: { seq: number; text: string } | null = null;
  /** The last ID card read; its number stays here, the screen only learns that one was read. */
  private lastCard: { seq: number; idNumber: string } | null = null;

  constructor(readonly config: KioskConfig, private readonly deps: KioskDeps) {
    super(config, 'kiosk', deps);
  }

  async start(): Promise<void> {
    const { config, deps, rt } = this;
    const now = deps.now ?? Date.now;
    const log = deps.log;
    this.store = new KioskStore(openKioskDb(join(config.dataDir, 'kiosk.sqlite')), now);
    try {
      await rt.open();
      this.uplink = new PickupUplink({ store: this.store, hq: rt.hq, device: config.device, log: log.child('uplink'), now, retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs, random: deps.random });
      this.downlink = new KioskDownlink({ store: this.store, hq: rt.hq, site: config.site, intervalMs: config.pullIntervalMs, log: log.child('downlink'), now });
      this.kiosk = new Kiosk({ config, store: this.store, hq: rt.hq, printer: rt.printer, log, now, onQueued: () => void this.uplink.kick() });
      if (deps.scanner || config.scanner) {
        const scanner = rt.hold(deps.scanner ?? await createScanner(config.scanner!, { log: log.child('scanner') }));
        scanner.on('code', (c) => (this.lastScan = { seq: (this.lastScan?.seq ?? 0) + 1, text: c.text }));
        scanner.on('error', (err) => log.warn({ err: err.message }, 'scanner'));
        await scanner.start();
      }
      if (deps.idcard || config.idcard) {
        const idcard = rt.hold(deps.idcard ?? await createIdCardReader(config.idcard!, { log: log.child('idcard') }));
        idcard.on('idcard', (card) => (this.lastCard = { seq: (this.lastCard?.seq ?? 0) + 1, idNumber: card.idNumber }));
        idcard.on('error', (err) => log.warn({ err: err.message }, 'ID card reader'));
        await idcard.start();
      }
      this.wallet = new KioskWallet({ config, store: this.store, hq: rt.hq, printer: rt.printer, log: log.child('wallet'), now });
      await rt.listen(kioskApp(this.kiosk, () => this.status(), log.child('http'), () => this.lastCard?.idNumber, this.wallet));
      rt.run(this.downlink, this.uplink);
      rt.present({
        status: () => ({ checkpoint: this.store.checkpoint(), outbox: this.store.outboxSize(), error: rt.hq.lastError ?? null }),
        onNotify: () => void this.downlink.pull(),
      });
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
    await this.rt.stop(() => this.store?.db.$client.close());
  }
}
