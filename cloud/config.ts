import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_TZ } from '../shared/time/zone.ts';
import { mqttLimitsSchema } from '../shared/net/mqtt-listener.ts';
import { assertPlainListenAllowed, assertPlainUrlAllowed } from '../shared/net/tls.ts';

const port = z.coerce.number().int().min(0).max(65535);
const flag = z.union([z.boolean(), z.stringbool()]);
const bytes = z.coerce.number().int().min(256).max(1024 * 1024 * 1024);
const mqttLimit = mqttLimitsSchema.shape;

export const cloudConfigSchema = z.object({
  /** Where PGlite's data and the issuer keys live. */
  dataDir: z.string().min(1).default('data/cloud'),
  httpHost: z.string().default('127.0.0.1'),
  httpPort: port.default(8780),
  /** Port of the in-process MQTT broker (ignored when mqttUrl is set). */
  mqttPort: port.default(1883),
  mqttHost: z.string().default('127.0.0.1'),
  /**
   * postgres://... to use a Postgres server instead of PGlite; several hosts with
   * target_session_attrs=read-write (libpq's form) follow a primary and its standby.
   */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\/[^/?]*[^/?@,:][^/?]*/, 'a postgres:// URL (several hosts: host1:port,host2:port)').optional(),
  /** mqtt://... to use an external broker instead of the in-process one. */
  mqttUrl: z.string().url().optional(),
  /** The site sold for when a sale does not name one. */
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('demo'),
  timeZone: z.string().default(DEFAULT_TZ),
  /** Password of the `admin` user made on first boot; without it a random one is logged once. */
  adminPassword: z.string().min(8).max(200).optional(),
  /**
   * 64 hex digits from which every device credential derives; HQ nodes sharing one database
   * must share it. Absent: made on first boot in the data directory.
   */
  deviceSecret: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits').optional(),
  /**
   * This HQ node's name when several share one database and one external broker (MQTT_URL):
   * its broker client id, and device uploads shared among the nodes instead of sent to each.
   */
  node: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
  /** 'off' lets any device connect and pull without credentials: for development only. */
  deviceAuth: z.enum(['required', 'off']).default('required'),
  /** An entry whose corrected time is this far ahead of HQ's clock is refused (shared/auth/entries.ts). */
  entryClockToleranceSeconds: z.coerce.number().int().min(1).max(86_400).default(300),
  /** An entry older than this is refused: more than a gate's outage, or a replay. */
  entryMaxAgeHours: z.coerce.number().int().min(1).max(24 * 365).default(192),
  /** The audit chain's head is signed this often when it moved (cloud/audit/anchor.ts). */
  auditAnchorSeconds: z.coerce.number().min(1).max(3600).default(60),
  /** The file the signed heads are appended to; default <dataDir>/audit/anchors.jsonl. Best on another disk. */
  auditAnchorLog: z.string().min(1).optional(),
  /** The built back office app served at / (npm run build:web writes it); 'off': HQ serves the API only. */
  webDir: z.string().min(1).default(fileURLToPath(new URL('../web/dist', import.meta.url))),
  /** Certificate (chain) and key, PEM: HTTPS and MQTT over TLS on the same ports. */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Plain text on an address that is not loopback (behind a TLS terminator or a VPN). */
  insecure: flag.default(false),
  /** HQ's own login at an external broker (MQTT_URL). */
  mqttUsername: z.string().min(1).max(200).optional(),
  mqttPassword: z.string().min(1).max(200).optional(),
  /** CA (PEM) that an external broker's certificate is checked against; absent: the system's. */
  mqttCa: z.string().min(1).optional(),
  /**
   * How an external broker learns the device credentials: `dynsec`, HQ keeps them in
   * mosquitto's dynamic security plugin (see cloud/mqtt/dynsec.ts); `manual`, the operator does.
   */
  mqttAccounts: z.enum(['dynsec', 'manual']).default('dynsec'),
  /** Request bodies, bytes: login, any other JSON, and the routes that take an image. */
  httpLoginBodyLimit: bytes.default(4 * 1024),
  httpBodyLimit: bytes.default(256 * 1024),
  httpUploadBodyLimit: bytes.default(12 * 1024 * 1024),
  /** The built-in broker's limits (shared/net/mqtt-listener.ts). */
  mqttMaxPacketBytes: mqttLimit.maxPacketBytes,
  mqttMaxConnectBytes: mqttLimit.maxConnectBytes,
  mqttMaxRetainedBytes: mqttLimit.maxRetainedBytes,
  mqttConnectTimeoutMs: mqttLimit.connectTimeoutMs,
  mqttMaxConnections: mqttLimit.maxConnections,
  mqttMaxKeepaliveSeconds: mqttLimit.maxKeepaliveSeconds,
  /** Wrong passwords in a row before an account is locked; from one address within the window. */
  loginMaxFailures: z.coerce.number().int().min(1).max(1000).default(5),
  loginAddressMaxFailures: z.coerce.number().int().min(1).max(100_000).default(30),
  loginWindowMinutes: z.coerce.number().min(0.01).max(24 * 60).default(15),
  loginLockoutMinutes: z.coerce.number().min(0.01).max(7 * 24 * 60).default(15),
  /** Channel notices (cloud/channels/notices.ts): first retry after this many minutes, then doubling up to a day. */
  noticeRetryMinutes: z.coerce.number().min(0.0001).max(24 * 60).default(3),
  noticeIntervalMs: z.coerce.number().int().min(10).max(600_000).default(1000),
  /** Calls a minute to one channel at most (cloud/channels/notices.ts): Ctrip allows fewer than 100. */
  noticePerMinute: z.coerce.number().int().min(1).max(10_000).default(60),
  /** How often the channels' calendars are compared with what they were last sent (cloud/channels/calendar.ts). */
  calendarIntervalMs: z.coerce.number().int().min(10).max(3_600_000).default(60_000),
}).refine((c) => !c.tlsCert === !c.tlsKey, { message: 'give both TLS_CERT and TLS_KEY, or neither', path: ['tlsCert'] });
export type CloudConfig = z.infer<typeof cloudConfigSchema>;

/** Validates config, naming the bad key in the error. Environment variables override. */
export function loadCloudConfig(input: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): CloudConfig {
  const fromEnv: Record<string, unknown> = {};
  const map: Record<string, string> = {
    DATA_DIR: 'dataDir', HTTP_PORT: 'httpPort', HTTP_HOST: 'httpHost', MQTT_PORT: 'mqttPort', MQTT_HOST: 'mqttHost',
    DATABASE_URL: 'databaseUrl', MQTT_URL: 'mqttUrl', SITE: 'site', SITE_TZ: 'timeZone',
    ADMIN_PASSWORD: 'adminPassword',
    DEVICE_SECRET: 'deviceSecret', DEVICE_AUTH: 'deviceAuth', HQ_NODE: 'node', WEB_DIR: 'webDir',
    TLS_CERT: 'tlsCert', TLS_KEY: 'tlsKey', INSECURE: 'insecure',
    MQTT_USERNAME: 'mqttUsername', MQTT_PASSWORD: 'mqttPassword', MQTT_CA: 'mqttCa', MQTT_ACCOUNTS: 'mqttAccounts',
    HTTP_LOGIN_BODY_LIMIT: 'httpLoginBodyLimit', HTTP_BODY_LIMIT: 'httpBodyLimit', HTTP_UPLOAD_BODY_LIMIT: 'httpUploadBodyLimit',
    MQTT_MAX_PACKET_BYTES: 'mqttMaxPacketBytes', MQTT_MAX_CONNECT_BYTES: 'mqttMaxConnectBytes', MQTT_MAX_RETAINED_BYTES: 'mqttMaxRetainedBytes',
    MQTT_CONNECT_TIMEOUT_MS: 'mqttConnectTimeoutMs', MQTT_MAX_CONNECTIONS: 'mqttMaxConnections', MQTT_MAX_KEEPALIVE_S: 'mqttMaxKeepaliveSeconds',
    LOGIN_MAX_FAILURES: 'loginMaxFailures', LOGIN_ADDRESS_MAX_FAILURES: 'loginAddressMaxFailures',
    LOGIN_WINDOW_MINUTES: 'loginWindowMinutes', LOGIN_LOCKOUT_MINUTES: 'loginLockoutMinutes',
    ENTRY_CLOCK_TOLERANCE_SECONDS: 'entryClockToleranceSeconds', ENTRY_MAX_AGE_HOURS: 'entryMaxAgeHours',
    AUDIT_ANCHOR_SECONDS: 'auditAnchorSeconds', AUDIT_ANCHOR_LOG: 'auditAnchorLog',
    NOTICE_RETRY_MINUTES: 'noticeRetryMinutes', NOTICE_INTERVAL_MS: 'noticeIntervalMs', NOTICE_PER_MINUTE: 'noticePerMinute', CALENDAR_INTERVAL_MS: 'calendarIntervalMs',
  };
  for (const [name, key] of Object.entries(map)) if (env[name]) fromEnv[key] = env[name];
  const parsed = cloudConfigSchema.safeParse({ ...input, ...fromEnv });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`cloud config: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  if (!isValidZone(parsed.data.timeZone)) throw new Error(`cloud config: timeZone: unknown time zone ${parsed.data.timeZone}`);
  checkTransport(parsed.data);
  const webDir = parsed.data.webDir === 'off' ? 'off' : resolve(parsed.data.webDir);
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir), webDir };
}

/** Plain text only on loopback or with INSECURE: the message names what to set. */
function checkTransport(c: CloudConfig): void {
  const tls = c.tlsCert !== undefined;
  try {
    if (!tls) assertPlainListenAllowed('HTTP_HOST', c.httpHost, c.insecure, 'set TLS_CERT and TLS_KEY (see provisioning/tls/), or INSECURE=1 behind a TLS terminator');
    if (c.mqttUrl) assertPlainUrlAllowed('MQTT_URL', c.mqttUrl, c.insecure, 'use mqtts:// (MQTT_CA names a private CA), or INSECURE=1');
    else if (!tls) assertPlainListenAllowed('MQTT_HOST', c.mqttHost, c.insecure, 'set TLS_CERT and TLS_KEY (see provisioning/tls/), or INSECURE=1');
  } catch (err) {
    throw new Error(`cloud config: ${(err as Error).message}`);
  }
}

/** The built-in broker's limits, from the flat config keys. */
export const mqttLimits = (c: CloudConfig) => mqttLimitsSchema.parse({
  maxPacketBytes: c.mqttMaxPacketBytes, maxConnectBytes: c.mqttMaxConnectBytes, maxRetainedBytes: c.mqttMaxRetainedBytes,
  connectTimeoutMs: c.mqttConnectTimeoutMs, maxConnections: c.mqttMaxConnections, maxKeepaliveSeconds: c.mqttMaxKeepaliveSeconds,
});

export function isValidZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const pgliteDir = (c: CloudConfig) => join(c.dataDir, 'pglite');
export const keysDir = (c: CloudConfig) => join(c.dataDir, 'keys');
