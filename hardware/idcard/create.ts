import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import type { SerialBinding } from '../serial/line.ts';
import type { Timers } from '../timers.ts';
import type { IdCardReader } from './port.ts';

const samSchema = z.strictObject({
  driver: z.literal('sam'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(115_200),
  pollMs: z.number().int().min(20).max(10_000).default(300),
  responseTimeoutMs: z.number().int().min(100).max(10_000).default(3000),
  reconnectMs: z.number().int().min(1).default(250),
  reconnectMaxMs: z.number().int().min(1).default(10_000),
});

/** ID card reader part of a program's config (optional there). */
export const idCardConfigSchema = z.discriminatedUnion('driver', [samSchema]);
export type IdCardConfig = z.output<typeof idCardConfigSchema>;
export type IdCardConfigInput = z.input<typeof idCardConfigSchema>;

/** What is not config: the serial binding (tests), clock and logger. */
export interface IdCardDeps {
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
}

/** Builds the configured ID card reader, not yet started, importing only the chosen driver. */
export async function createIdCardReader(config: IdCardConfigInput, deps: IdCardDeps = {}): Promise<IdCardReader> {
  const parsed = idCardConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sam': {
      const { SamReader } = await import('./sam-reader.ts');
      return new SamReader({ ...parsed, ...deps });
    }
  }
}
