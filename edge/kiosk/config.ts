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
