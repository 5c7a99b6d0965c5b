import { z } from 'zod';
import { cardConfigSchema } from '../../hardware/card/create.ts';
import { lockerConfigSchema } from '../../hardware/locker/create.ts';
import { printerConfigSchema } from '../../hardware/printer/create.ts';
import { agentConfigFields, httpListen, loadAgentConfig, parseAgentConfig } from '../agent/config.ts';

/** One point of sale at a water-park shop (`npm run pos -- <config.json>`). */
export const posConfigSchema = z.strictObject({
  ...agentConfigFields,
  /** The shop (消费点) this POS sells for, as set up at HQ. */
  shop: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  /** Pull balances this often even without the doorbell. */
  pullIntervalMs: z.number().int().min(100).default(5000),
  /** Without a good pull for this long the POS is offline: it charges within `offlineLimitFen`. */
  staleMs: z.number().int().min(100).default(20_000),
  /** Most a band may be charged here while offline (never more than its last known balance less what was charged since). */
  offlineLimitFen: z.number().int().min(0).max(1_000_000).default(20_000),
  /**
   * How charges reach HQ: `http` (POST to `cloudUrl`), or `mqtt` (published on `mqttUrl`: behind
   * a site hub, which queues them while its WAN is down and forwards them as it does gates'
   * entries; the hub also passes the balance pulls through to HQ).
   */
  uplink: z.enum(['http', 'mqtt']).default('http'),
  /** SHA-256 (hex) of the supervisor PIN that allows refunding a charge. */
  supervisorPinSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The wristband reader (PN532); absent: bands are typed or simulated on the page. */
  card: cardConfigSchema.optional(),
  /** A locker bank beside this reader (a locker station): a band opens the lockers HQ assigned it. */
  lockers: lockerConfigSchema.optional(),
  /** Receipt printer; absent: the simulator. */
  printer: printerConfigSchema,
  http: httpListen(8796),
});
export type PosConfig = z.infer<typeof posConfigSchema>;

export function parsePosConfig(input: unknown, source = 'pos config'): PosConfig {
  const c = parseAgentConfig(posConfigSchema, input, source);
  if (c.uplink === 'mqtt' && !c.mqttUrl) throw new Error(`${source}: uplink: "mqtt" needs mqttUrl (the site hub's broker)`);
  return c;
}

export function loadPosConfig(path: string): PosConfig {
  return loadAgentConfig(path, 'pos', parsePosConfig);
}
