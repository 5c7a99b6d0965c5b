import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_TZ } from '../shared/time/zone.ts';

const port = z.coerce.number().int().min(0).max(65535);

export const cloudConfigSchema = z.object({
  /** Where PGlite's data and the issuer keys live. */
  dataDir: z.string().min(1).default('data/cloud'),
  httpHost: z.string().default('127.0.0.1'),
  httpPort: port.default(8780),
  /** Port of the in-process MQTT broker (ignored when mqttUrl is set). */
  mqttPort: port.default(1883),
  mqttHost: z.string().default('127.0.0.1'),
  /** postgres://... to use a Postgres server instead of PGlite. */
  databaseUrl: z.string().url().optional(),
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
  /** 'off' lets any device connect and pull without credentials: for development only. */
  deviceAuth: z.enum(['required', 'off']).default('required'),
  /** An entry whose corrected time is this far ahead of HQ's clock is refused (shared/auth/entries.ts). */
  entryClockToleranceSeconds: z.coerce.number().int().min(1).max(86_400).default(300),
  /** An entry older than this is refused: more than a gate's outage, or a replay. */
  entryMaxAgeHours: z.coerce.number().int().min(1).max(24 * 365).default(192),
});
export type CloudConfig = z.infer<typeof cloudConfigSchema>;

/** Validates config, naming the bad key in the error. Environment variables override. */
export function loadCloudConfig(input: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): CloudConfig {
  const fromEnv: Record<string, unknown> = {};
  const map: Record<string, string> = {
    DATA_DIR: 'dataDir', HTTP_PORT: 'httpPort', HTTP_HOST: 'httpHost', MQTT_PORT: 'mqttPort',
    DATABASE_URL: 'databaseUrl', MQTT_URL: 'mqttUrl', SITE: 'site', SITE_TZ: 'timeZone',
    ADMIN_PASSWORD: 'adminPassword',
    DEVICE_SECRET: 'deviceSecret', DEVICE_AUTH: 'deviceAuth',
    ENTRY_CLOCK_TOLERANCE_SECONDS: 'entryClockToleranceSeconds', ENTRY_MAX_AGE_HOURS: 'entryMaxAgeHours',
  };
  for (const [name, key] of Object.entries(map)) if (env[name]) fromEnv[key] = env[name];
  const parsed = cloudConfigSchema.safeParse({ ...input, ...fromEnv });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`cloud config: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  if (!isValidZone(parsed.data.timeZone)) throw new Error(`cloud config: timeZone: unknown time zone ${parsed.data.timeZone}`);
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

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
