import { join } from 'node:path';
import { createCardReader } from '../../hardware/card/create.ts';
import type { CardReader } from '../../hardware/card/port.ts';
import { createLockerBank } from '../../hardware/locker/create.ts';
import type { LockerBank } from '../../hardware/locker/port.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { SiteAgent } from '../agent/runtime.ts';
import type { PosConfig } from './config.ts';
import { MqttChargeLink } from './charge-link.ts';
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
export class PosAgent extends SiteAgent {
  store!: PosStore;
  pos!: Pos;
  downlink!: PosDownlink;
  uplink!: PosUplink;
  lockers: LockerBank | undefined;
  private chargeLink: MqttChargeLink | undefined;
  private lastBand: { seq: number; uid: string } | null = null;

  constructor(readonly config: PosConfig, private readonly deps: PosDeps) {
    super(config, 'pos', deps);
  }

  async start(): Promise<void> {
    const { config, deps, rt } = this;
    const now = deps.now ?? Date.now;
    const log = deps.log;
    this.store = new PosStore(join(config.dataDir, 'pos.sqlite'), now);
    try {
      await rt.open();
      this.downlink = new PosDownlink({ store: this.store, hq: rt.hq, site: config.site, shop: config.shop, intervalMs: config.pullIntervalMs, log: log.child('downlink'), now,
        // The line is back: what was charged meanwhile goes now, not at the end of the backoff.
        onBack: () => void this.uplink.kick() });
      const link = config.uplink === 'mqtt' ? new MqttChargeLink({ session: () => rt.presence?.session, site: config.site, device: config.device, timeoutMs: 15_000 }) : undefined;
      this.chargeLink = link;
      this.uplink = new PosUplink({
        store: this.store, hq: rt.hq, site: config.site, device: config.device, shop: config.shop, log: log.child('uplink'), now,
        retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs, random: deps.random, send: link && ((body) => link.send(body)),
      });
      this.pos = new Pos({ config, store: this.store, log, now, lastPullAt: () => this.downlink.lastOkAt, printer: rt.printer, onCharged: () => this.uplink.kick() });
      if (deps.lockers || config.lockers) {
        this.lockers = rt.hold(deps.lockers ?? await createLockerBank(config.lockers!));
        this.lockers.on('error', (err) => log.warn({ err: err.message }, 'locker bank'));
        await this.lockers.start();
      }
      const openLockers = this.lockers ? (uid: string) => openLockersOf(this.store, this.lockers!, uid, log.child('lockers')) : undefined;
      if (deps.card || config.card) {
        const card = rt.hold(deps.card ?? await createCardReader(config.card!, { log: log.child('card') }));
        card.on('card', (c) => {
          this.lastBand = { seq: (this.lastBand?.seq ?? 0) + 1, uid: c.uid };
          // At a locker station the band on the reader opens its lockers at once.
          if (openLockers) openLockers(c.uid).catch((err: Error) => log.info({ band: c.uid, err: err.message }, 'no locker opened'));
        });
        card.on('error', (err) => log.warn({ err: err.message }, 'band reader'));
        await card.start();
      }
      await rt.listen(posApp(this.pos, () => this.status(), () => this.store.items(), () => this.store.recentCharges(), log.child('http'), openLockers));
      rt.run(this.downlink, this.uplink);
      // Presence by last will and a retained status heartbeat, and the doorbell that makes the
      // till pull balances at once.
      rt.present({
        status: () => ({ checkpoint: this.store.checkpoint(), outbox: this.store.outboxSize(), error: rt.hq.lastError ?? null }),
        onNotify: () => {
          void this.downlink.pull();
          // (Re)connected or rung: charges waiting for the broker may go now.
          if (link) void this.uplink.kick();
        },
        extra: link && { topics: [link.ackTopic], onMessage: (topic, payload) => link.onAck(payload) },
      });
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
    this.chargeLink?.close();
    await this.rt.stop(() => {
      if (this.store?.db.open) this.store.close();
    });
  }
}
