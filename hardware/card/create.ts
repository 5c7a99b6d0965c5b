import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import type { SerialBinding } from '../serial/line.ts';
import type { Timers } from '../timers.ts';
import type { CardReader } from './port.ts';

const pn532Schema = z.strictObject({
  driver: z.literal('pn532'),
  path: z.string().min(1),
  /** The PN532's HSU speed out of reset. */
  baudRate: z.number().int().positive().default(115_200),
  pollMs: z.number().int().min(20).max(10_000).default(200),
  ackTimeoutMs: z.number().int().min(10).max(5000).default(250),
  responseTimeoutMs: z.number().int().min(50).max(10_000).default(1000),
  reconnectMs: z.number().int().min(1).default(250),
  reconnectMaxMs: z.number().int().min(1).default(10_000),
});

/** Card reader part of a program's config (optional there: a lane may have none). */
export const cardConfigSchema = z.discriminatedUnion('driver', [pn532Schema]);
export type CardConfig = z.output<typeof cardConfigSchema>;
export type CardConfigInput = z.input<typeof cardConfigSchema>;

/** What is not config: the serial binding (tests), clock and logger. */
export interface CardDeps {
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
}

/** Builds the configured card reader, not yet started, importing only the chosen driver. */
export async function createCardReader(config: CardConfigInput, deps: CardDeps = {}): Promise<CardReader> {
  const parsed = cardConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'pn532': {
      const { Pn532Reader } = await import('./pn532-reader.ts');
      return new Pn532Reader({ ...parsed, ...deps });
    }
  }
}
