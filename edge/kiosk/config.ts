import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { idCardConfigSchema } from '../../hardware/idcard/create.ts';
import { printerConfigSchema } from '../../hardware/printer/create.ts';
import { scannerConfigSchema } from '../../hardware/scanner/create.ts';
import { DEFAULT_TZ } from '../../shared/time/zone.ts';
import { checkDeviceUrls } from '../../shared/net/tls.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');

export const kioskConfigSchema = z.strictObject({
  device: name,
  site: name,
  /** Printed on every ticket. */
  siteName: z.string().min(1).max(40).default('景区'),
  /** Booking cache, pickups, their outbox and sales live here. */
  dataDir: z.string().min(1),
  cloudUrl: z.string().url(),
  /** This kiosk's credential from HQ (`npm run cli -- device-token <site> <device> kiosk`); its username is kiosk:{site}:{device}. */
  token: z.string().min(1).optional(),
  /**
   * The site's broker (HQ's or a site hub's): presence and status for HQ's device view, and
   * the doorbell for new bookings. Absent: the kiosk pulls on its timer only.
   */
  mqttUrl: z.string().url().optional(),
  /** CA (PEM) the server's certificate is checked against for https:// and mqtts:// (a site CA); absent: the system's list. */
  ca: z.string().min(1).optional(),
  /** Plain http:// or mqtt:// to an address that is not loopback: the token would travel readable. */
  insecure: z.boolean().default(false),
  /** Status is re-sent this often (beside the MQTT last will). */
  heartbeatMs: z.number().int().min(1000).default(30_000),
  /** Pull the change log (today's bookings, templates) this often. */
  pullIntervalMs: z.number().int().min(100).default(30_000),
  /** A visitor waits at most this long for HQ before the kiosk answers from its cache. */
  hqTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
  /** Queued pickups are sent again after a failure, backing off from min to max. */
  retryMinMs: z.number().int().min(50).default(1000),
  retryMaxMs: z.number().int().min(100).default(60_000),
  /** Default language of the screen; the visitor can switch. */
  locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
  timeZone: z.string().default(DEFAULT_TZ),
  printer: printerConfigSchema,
  /** A code scanner for booking QR and payment codes; absent: the simulator (the screen's text fields remain). */
  scanner: scannerConfigSchema.optional(),
  /** An ID card reader (SAM): a card placed on it looks up the holder's bookings. */
  idcard: idCardConfigSchema.optional(),
  /** The touch screen page and its JSON API. */
  http: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8795) }).prefault({}),
});
export type KioskConfig = z.infer<typeof kioskConfigSchema>;
export type KioskConfigInput = z.input<typeof kioskConfigSchema>;

export function parseKioskConfig(input: unknown, source = 'kiosk config'): KioskConfig {
  const parsed = kioskConfigSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const c = parsed.data;
  checkDeviceUrls(source, { cloudUrl: c.cloudUrl, mqttUrl: c.mqttUrl }, c.insecure);
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

export function loadKioskConfig(path: string): KioskConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read kiosk config: ${(err as Error).message}`);
  }
  return parseKioskConfig(raw, path);
}
