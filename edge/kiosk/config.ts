import { z } from 'zod';
import { idCardConfigSchema } from '../../hardware/idcard/create.ts';
import { printerConfigSchema } from '../../hardware/printer/create.ts';
import { scannerConfigSchema } from '../../hardware/scanner/create.ts';
import { DEFAULT_TZ } from '../../shared/time/zone.ts';
import { agentConfigFields, httpListen, loadAgentConfig, parseAgentConfig } from '../agent/config.ts';

export const kioskConfigSchema = z.strictObject({
  ...agentConfigFields,
  /** Printed on every ticket. */
  siteName: z.string().min(1).max(40).default('景区'),
  /** Pull the change log (today's bookings, templates) this often. */
  pullIntervalMs: z.number().int().min(100).default(30_000),
  /** Default language of the screen; the visitor can switch. */
  locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
  timeZone: z.string().default(DEFAULT_TZ),
  printer: printerConfigSchema,
  /** A code scanner for booking QR and payment codes; absent: the simulator (the screen's text fields remain). */
  scanner: scannerConfigSchema.optional(),
  /** An ID card reader (SAM): a card placed on it looks up the holder's bookings. */
  idcard: idCardConfigSchema.optional(),
  /** The one-card (一卡通): a wristband opened here pays this deposit; the screen offers these top-ups (fen). */
  wallet: z.strictObject({
    depositFen: z.number().int().min(1).max(100_000).default(3000),
    topUpsFen: z.array(z.number().int().min(100).max(1_000_000)).min(1).max(6).default([5000, 10_000, 20_000]),
    /** Most a visitor may top up at once here. */
    maxTopUpFen: z.number().int().min(100).max(1_000_000).default(100_000),
  }).prefault({}),
  /** The touch screen page and its JSON API. */
  http: httpListen(8795),
});
export type KioskConfig = z.infer<typeof kioskConfigSchema>;
export type KioskConfigInput = z.input<typeof kioskConfigSchema>;

export function parseKioskConfig(input: unknown, source = 'kiosk config'): KioskConfig {
  return parseAgentConfig(kioskConfigSchema, input, source);
}

export function loadKioskConfig(path: string): KioskConfig {
  return loadAgentConfig(path, 'kiosk', parseKioskConfig);
}
