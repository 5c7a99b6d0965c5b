import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { cardConfigSchema } from '../../hardware/card/create.ts';
import { lockerConfigSchema } from '../../hardware/locker/create.ts';
import { printerConfigSchema } from '../../hardware/printer/create.ts';
import { checkDeviceUrls } from '../../shared/net/tls.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');

/** One point of sale at a water-park shop (`npm run pos -- <config.json>`). */
export const posConfigSchema = z.strictObject({
  device: name,
  site: name,
  /** The shop (消费点) this POS sells for, as set up at HQ. */
  shop: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  dataDir: z.string().min(1),
  /** HQ (the one writer of money, where balances are authoritative). */
  cloudUrl: z.string().url(),
  /** This POS's credential (`npm run cli -- device-token <site> <device> pos`). */
  token: z.string().min(1).optional(),
  /** The site's broker: presence, and the doorbell that makes it pull new balances and blocked bands at once. */
  mqttUrl: z.string().url().optional(),
  ca: z.string().min(1).optional(),
  insecure: z.boolean().default(false),
  heartbeatMs: z.number().int().min(1000).default(30_000),
  /** Pull balances this often even without the doorbell. */
  pullIntervalMs: z.number().int().min(100).default(5000),
  /** Without a good pull for this long the POS is offline: it charges within `offlineLimitFen`. */
  staleMs: z.number().int().min(100).default(20_000),
  /** Most a band may be charged here while offline (never more than its last known balance less what was charged since). */
  offlineLimitFen: z.number().int().min(0).max(1_000_000).default(20_000),
  hqTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
  retryMinMs: z.number().int().min(50).default(1000),
  retryMaxMs: z.number().int().min(100).default(60_000),
  /** SHA-256 (hex) of the supervisor PIN that allows refunding a charge. */
  supervisorPinSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The wristband reader (PN532); absent: bands are typed or simulated on the page. */
  card: cardConfigSchema.optional(),
  /** A locker bank beside this reader (a locker station): a band opens the lockers HQ assigned it. */
  lockers: lockerConfigSchema.optional(),
  /** Receipt printer; absent: the simulator. */
  printer: printerConfigSchema,
  http: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8796) }).prefault({}),
});
export type PosConfig = z.infer<typeof posConfigSchema>;

export function parsePosConfig(input: unknown, source = 'pos config'): PosConfig {
  const parsed = posConfigSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  checkDeviceUrls(source, { cloudUrl: parsed.data.cloudUrl, mqttUrl: parsed.data.mqttUrl }, parsed.data.insecure);
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

export function loadPosConfig(path: string): PosConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read pos config: ${(err as Error).message}`);
  }
  return parsePosConfig(raw, path);
}
