import { TEST_DEVICE_SECRET } from './devices.ts';
import net from 'node:net';
import { loadCloudConfig } from '../../cloud/config.ts';
import { Broker } from '../../cloud/mqtt/broker.ts';
import type { MqttListenerLimits } from '../../shared/net/mqtt-listener.ts';
import { Cloud } from '../../cloud/server.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { TEST_ADMIN_PASSWORD, testLog } from './cloud.ts';
import { freshCloudDataDir } from './pglite.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once `port` can be bound on 127.0.0.1 again. Node listens with SO_REUSEADDR, so
 * TIME_WAIT alone rarely blocks it; a listener still closing does, for a moment.
 */
export async function waitPortFree(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return;
    if (Date.now() > until) throw new Error(`port ${port} still in use after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export interface FixedCloudOptions {
  /** Defaults to a fresh copy of the migrated PGlite template. */
  dataDir?: string;
  /** 0 = any free port (the first start); the real port for a restart. */
  httpPort?: number;
  mqttPort?: number;
  /** An external broker (an unauthenticated aedes of the test's: MQTT_ACCOUNTS=manual): HQ then runs none of its own. */
  mqttUrl?: string;
  /** A Postgres server instead of the data dir's PGlite. */
  databaseUrl?: string;
  log?: Logger;
  /** More config keys (limits...). */
  config?: Record<string, unknown>;
}

/**
 * A Cloud on given ports and data dir, started with a few retries while a port is not free
 * yet. Each attempt is a new Cloud: a failed start() has already stopped what it opened.
 */
export async function startCloudOn(opts: FixedCloudOptions = {}): Promise<Cloud> {
  const dataDir = opts.dataDir ?? (await freshCloudDataDir());
  const httpPort = opts.httpPort ?? 0;
  const mqttPort = opts.mqttPort ?? 0;
  for (let attempt = 1; ; attempt++) {
    // Cloud.start() cannot report a busy HTTP port (the listen error is unhandled), so look first.
    if (httpPort) await waitPortFree(httpPort);
    if (mqttPort && !opts.mqttUrl) await waitPortFree(mqttPort);
    const config = loadCloudConfig({
      dataDir, httpPort, mqttPort, deviceSecret: TEST_DEVICE_SECRET, adminPassword: TEST_ADMIN_PASSWORD,
      ...(opts.mqttUrl ? { mqttUrl: opts.mqttUrl, mqttAccounts: 'manual' } : {}), ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}), ...opts.config,
    }, {});
    const cloud = new Cloud(config, opts.log ?? testLog.child('cloud'));
    try {
      await cloud.start();
      return cloud;
    } catch (err) {
      if (attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await sleep(200 * attempt);
    }
  }
}

/** Stops HQ and starts a new one on the same data dir and the same ports, as an operator restart would. */
export async function restartCloud(cloud: Cloud, log?: Logger): Promise<Cloud> {
  const { dataDir, mqttUrl } = cloud.config;
  const { httpPort, mqttPort } = cloud;
  await cloud.stop();
  return startCloudOn({ dataDir, httpPort, mqttPort: mqttUrl ? 0 : mqttPort, mqttUrl, log });
}

/** A standalone broker (for HQ with MQTT_URL, or a gate with no HQ behind its broker), retried while the port is busy. */
export async function startBrokerOn(port: number, log: Logger = testLog.child('broker'), limits?: MqttListenerLimits): Promise<Broker> {
  for (let attempt = 1; ; attempt++) {
    if (port) await waitPortFree(port);
    const broker = new Broker({ host: '127.0.0.1', port, log, limits });
    try {
      await broker.start();
      return broker;
    } catch (err) {
      if (attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await sleep(200 * attempt);
    }
  }
}
