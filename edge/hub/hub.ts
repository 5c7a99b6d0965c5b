import { deviceToken, deviceUsername, verifyDevice, type DeviceIdentity } from '../../shared/auth/device.ts';
import { LanChecks } from './lan-checks.ts';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createServer as createHttpsServer } from 'node:https';
import { fetchTrusting } from '../../shared/net/fetch.ts';
import { readCa, readServerTls } from '../../shared/net/tls.ts';
import { createLogger, type Logger } from '../../shared/log/logger.ts';
import { topics } from '../../shared/sync/topics.ts';
import { businessDay } from '../../shared/time/zone.ts';
import type { HubConfig } from './config.ts';
import { hubApp } from './http.ts';
import { LanBroker } from './lan-broker.ts';
import { Puller } from './puller.ts';
import { HubStore } from './store.ts';
import { siteRoutes } from './topics.ts';
import { Upstream } from './upstream.ts';
import { SaleBook } from './window/book.ts';
import { loadHubKey } from './window/key.ts';
import { LeaseBook } from './window/leases.ts';
import { SiteOrders } from './window/orders.ts';
import { PickupDesk } from './window/pickups.ts';
import { AnchorCopy } from './anchors.ts';
import { handheldRoutes, SiblingEntries } from './handheld.ts';
import { windowRoutes } from './window/routes.ts';
import { WindowUplink } from './window/uplink.ts';

/** A POS's balance pull waits at most this long on HQ behind the hub (its own hqTimeoutMs is usually shorter). */
const RELAY_TIMEOUT_MS = 10_000;

export interface HubDeps {
  now?: () => number;
  fetch?: typeof fetch;
}

/**
 * The optional site hub: a LAN broker for the site's gates, a store-and-forward queue to
 * HQ, and a copy of HQ's change log that gates pull from. Gates use it by pointing their
 * `mqttUrl` and `cloudUrl` at it; only the hub talks over the WAN. Device messages are
 * relayed by topic as opaque bytes, never parsed.
 */
export class SiteHub {
  private store: HubStore | undefined;
  private lan: LanBroker | undefined;
  private upstream: Upstream | undefined;
  private puller: Puller | undefined;
  private uplink: WindowUplink | undefined;
  /** The windows' sale book (undefined while stopped, or with the windows switched off). */
  book: SaleBook | undefined;
  /** The capacity HQ leased the windows. */
  leases: LeaseBook | undefined;
  private checks: LanChecks | undefined;
  private http: ServerType | undefined;
  private wanFetch: ReturnType<typeof fetchTrusting> | undefined;
  private readonly now: () => number;
  mqttPort = 0;
  httpPort = 0;

  constructor(readonly config: HubConfig, private readonly log: Logger = createLogger(`hub:${config.hub}`), private readonly deps: HubDeps = {}) {
    this.now = deps.now ?? Date.now;
  }

  get mqttUrl(): string { return `${this.config.tls ? 'mqtts' : 'mqtt'}://${loopbackFor(this.config.mqttHost)}:${this.mqttPort}`; }
  get url(): string { return `${this.config.tls ? 'https' : 'http'}://${loopbackFor(this.config.httpHost)}:${this.httpPort}`; }
  /** The LAN broker's socket counts. */
  get brokerStats() { return this.lan?.stats; }

  /** Starts without the WAN: HQ is reached whenever it can be. */
  async start(): Promise<void> {
    const { config, log, now } = this;
    try {
      const store = HubStore.open(join(config.dataDir, 'hub.sqlite'));
      this.store = store;
      const routes = siteRoutes(config.site);
      // HQ's clock, as far as the hub knows it.
      const hqNow = () => now() + (this.puller?.clockOffset ?? 0);
      const key = config.siteKey ? Buffer.from(config.siteKey, 'hex') : undefined;
      const verify = key ? (username: string | undefined, token: string | Buffer | undefined) => verifyDevice((s) => (s === config.site ? key : undefined), username, token) : undefined;
      const credential = key ? { username: deviceUsername({ role: 'hub', site: config.site, device: config.hub }), token: deviceToken(key, 'hub', config.hub) } : undefined;
      const checks = new LanChecks({ store, now: hqNow, log: log.child('lan') });
      this.checks = checks;
      const refusal = (id: DeviceIdentity) => checks.refusal(id);
      // The LAN side's certificate, and the CA HQ's certificate is checked against, read once.
      const tls = config.tls ? readServerTls(config.tls, 'tls') : undefined;
      const ca = config.upstream.ca ? readCa(config.upstream.ca, 'upstream.ca') : undefined;
      this.wanFetch = fetchTrusting(ca);
      const siblings = new SiblingEntries({ store, now: hqNow });
      // A LAN device's message for HQ (a gate's over MQTT, a handheld's over HTTP): committed before it is acked.
      const keep = (topic: string, payload: Buffer) => {
        const route = routes.up(topic);
        if (!route) return;
        if (key) checks.upload(topic, payload);
        if (store.enqueue(topic, payload, { ...route, at: now() }) !== undefined) setImmediate(() => this.upstream?.pump());
        siblings.heard(topic, payload);
      };
      const lan = new LanBroker({
        host: config.mqttHost, port: config.mqttPort, log: log.child('lan'), verify, refusal: key ? refusal : undefined, tls, limits: config.mqttLimits,
        accept: keep,
      });
      this.lan = lan;
      const puller = new Puller({
        store, cloudUrl: config.upstream.cloudUrl, site: config.site, intervalMs: config.pullIntervalMs, pageSize: config.pageSize,
        log: log.child('puller'), now, fetch: this.deps.fetch ?? this.wanFetch, credential,
        onAdvanced: () => void lan.publish(topics.notify(config.site), Buffer.from(JSON.stringify({ at: hqNow() })), false).catch(() => undefined),
      });
      this.puller = puller;
      let window: ReturnType<typeof windowRoutes> | undefined;
      let anchors: AnchorCopy | undefined;
      if (config.window.enabled) {
        const book = new SaleBook(store.db);
        const hubKey = loadHubKey(config.dataDir);
        const leases = new LeaseBook(store.db, hqNow);
        const siteOrders = new SiteOrders(store.db, book, hqNow);
        anchors = new AnchorCopy(store.db, now);
        this.leases = leases;
        const uplink = new WindowUplink({
          leases: { book: leases, policy: config.window.lease }, anchors, pulls: [(get) => siteOrders.pull(this.uplink?.kit, get)],
          store, book, key: hubKey, cloudUrl: config.upstream.cloudUrl, site: config.site, intervalMs: config.window.syncIntervalMs, kitEveryMs: config.window.kitEveryMs,
          log: log.child('window'), now: hqNow, fetch: this.deps.fetch ?? this.wanFetch, credential,
        });
        this.book = book;
        this.uplink = uplink;
        window = windowRoutes({
          book, leases, orders: siteOrders, pickups: new PickupDesk(store.db, book), offline: () => this.uplink?.lastError !== undefined, templates: () => store.templates(), site: config.site, key: hubKey, kit: () => uplink.kit, delegation: () => uplink.delegation, now: hqNow,
          written: () => setImmediate(() => void this.uplink?.run()),
          // A refund: the gates pull now and find it on the hub's page (edge/hub/changes.ts).
          refunded: () => void lan.publish(topics.notify(config.site), Buffer.from(JSON.stringify({ at: hqNow() })), false).catch(() => undefined),
        });
      }
      await lan.start(store.retained());
      this.mqttPort = lan.port;
      const app = hubApp({
        store, site: config.site, hub: config.hub, log: log.child('http'), now, serverTime: hqNow, puller, state: () => this.state(), verify,
        refusal: key ? refusal : undefined,
        bodyLimit: config.httpBodyLimit,
        handheld: handheldRoutes({ site: config.site, store, siblings, verify, refusal: key ? refusal : undefined, keep, relay: (topic, payload) => lan.publish(topic, payload, false) }),
        window, webDir: config.window.webDir, anchors, refunded: this.book ? (at) => this.book?.refundedTickets(at) ?? [] : undefined,
        relayPos: (path, authorization) => (this.deps.fetch ?? this.wanFetch!)(config.upstream.cloudUrl + path, {
          headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
        }),
      });
      this.http = await new Promise<ServerType>((resolve, reject) => {
        const s = tls
          ? serve({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort, createServer: createHttpsServer, serverOptions: { ...tls, minVersion: 'TLSv1.2' } }, () => resolve(s))
          : serve({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort }, () => resolve(s));
        s.once('error', reject);
      });
      this.httpPort = (this.http.address() as { port: number }).port;
      this.upstream = new Upstream({
        url: config.upstream.mqttUrl, site: config.site, hub: config.hub, window: config.forwardWindow,
        statusIntervalMs: config.statusIntervalMs, coalesceMs: config.coalesceMs, pubackTimeoutMs: config.pubackTimeoutMs, keepaliveS: config.keepaliveS, store, routes, log: log.child('upstream'), now: hqNow, credential, ca,
        relay: (topic, payload, retain) => lan.publish(topic, payload, retain),
        onNotify: () => void puller.pull(),
        // The doorbell may have rung while the WAN was down.
        onConnect: () => void puller.pull(),
        status: () => ({ outbox: store.queueStats().messages, checkpoint: store.changeLog().checkpoint, refused: checks.summary() }),
      });
      this.upstream.start();
      puller.start();
      this.uplink?.start();
      log.info({ site: config.site, mqtt: this.mqttPort, http: this.httpPort, upstream: config.upstream, queued: store.queueStats().messages }, 'site hub started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const { http, upstream, puller, lan, store, uplink } = this;
    this.http = this.upstream = this.puller = this.lan = this.store = this.uplink = this.book = this.leases = undefined;
    await uplink?.stop();
    await puller?.stop();
    await upstream?.stop();
    if (http) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        (http as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
    // Before the database closes: gates' last wills are still queued for HQ.
    await lan?.stop();
    store?.close();
    await this.wanFetch?.close();
    this.wanFetch = undefined;
  }

  /** What an operator (or a test) wants to know. */
  state() {
    const store = this.store;
    return {
      upstream: this.upstream?.connected ?? false,
      forwarded: this.upstream?.forwarded ?? 0,
      queue: store?.queueStats() ?? { messages: 0, bytes: 0 },
      changeLog: store?.changeLog(),
      lastPullAt: this.puller?.lastPullAt,
      pullError: this.puller?.lastError,
      clockOffset: this.puller?.clockOffset ?? 0,
      /** Entries from LAN devices that were not theirs to report, per device. */
      refused: this.checks?.summary() ?? {},
      /** The windows' journal: entries HQ does not hold yet, and the last sync's error. */
      window: this.book && {
        journal: this.book.journalStats(),
        kitAt: store?.meta('window_kit_at') ? Number(store.meta('window_kit_at')) : undefined,
        delegation: this.uplink?.delegation,
        leases: this.leases && this.uplink?.kit ? this.leases.summary(businessDay(this.now() + (this.puller?.clockOffset ?? 0), this.uplink.kit.timeZone), this.uplink.kit) : [],
        error: this.uplink?.lastError,
      },
    };
  }
}

/** A client on this machine reaches a wildcard listener through loopback. */
function loopbackFor(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
