import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import type { SerialBinding } from '../serial/line.ts';
import type { Timers } from '../timers.ts';
import type { FingerprintReader } from './port.ts';

const r30xSchema = z.strictObject({
  driver: z.literal('r30x'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(57_600),
  /** Module address (factory FFFFFFFF) and password (factory 0). */
  address: z.number().int().min(0).max(0xffffffff).default(0xffffffff),
  password: z.number().int().min(0).max(0xffffffff).default(0),
  packetSize: z.union([z.literal(32), z.literal(64), z.literal(128), z.literal(256)]).default(128),
  /** Library pages: R307 holds 1000, AS608 300. */
  capacity: z.number().int().min(1).max(65_535).default(1000),
  responseTimeoutMs: z.number().int().min(100).max(10_000).default(2000),
  captureTimeoutMs: z.number().int().min(100).max(60_000).default(8000),
  pollMs: z.number().int().min(10).max(5000).default(150),
  watch: z.boolean().default(false),
  reconnectMs: z.number().int().min(1).default(250),
  reconnectMaxMs: z.number().int().min(1).default(10_000),
});

/** Fingerprint module part of a program's config (optional there). */
export const fingerprintConfigSchema = z.discriminatedUnion('driver', [r30xSchema]);
export type FingerprintConfig = z.output<typeof fingerprintConfigSchema>;
export type FingerprintConfigInput = z.input<typeof fingerprintConfigSchema>;

export interface FingerprintDeps {
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
}

/** Builds the configured fingerprint reader, not yet started, importing only the chosen driver. */
export async function createFingerprintReader(config: FingerprintConfigInput, deps: FingerprintDeps = {}): Promise<FingerprintReader> {
  const parsed = fingerprintConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'r30x': {
      const { R30xReader } = await import('./r30x.ts');
      return new R30xReader({ ...parsed, ...deps });
    }
  }
}
