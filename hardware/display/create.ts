import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import type { SerialBinding } from '../serial/line.ts';
import type { Timers } from '../timers.ts';
import type { DisplayPort } from './port.ts';

/** Keys every driver takes; a serial LCD driver adds its port and baud rate next to them. */
const common = {
  rows: z.number().int().min(1).default(4),
  /** In half-width columns; at least 2 so a Chinese character fits in a row. */
  columns: z.number().int().min(2).default(20),
};

const simSchema = z.strictObject({ driver: z.literal('sim'), ...common });

/** A serial character LCD or VFD with the customer-display command set (lcd-protocol.ts). */
const serialLcdSchema = z.strictObject({
  driver: z.literal('serial-lcd'),
  ...common,
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  brightness: z.number().int().min(1).max(4).default(4),
});

/** Display part of a program's config; absent means the simulator. */
export const displayConfigSchema = z.discriminatedUnion('driver', [simSchema, serialLcdSchema]).prefault({ driver: 'sim' });
export type DisplayConfig = z.output<typeof displayConfigSchema>;
export type DisplayConfigInput = z.input<typeof displayConfigSchema>;

/** What is not config: the clock, serial binding and logger, injected by tests. */
export interface DisplayDeps {
  timers?: Timers;
  binding?: SerialBinding;
  log?: Logger;
}

/**
 * Builds the configured display, not yet started, importing only the chosen driver.
 * Throws a ZodError naming the bad key when the config is invalid.
 */
export async function createDisplay(config: DisplayConfigInput, deps: DisplayDeps = {}): Promise<DisplayPort> {
  const parsed = displayConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimDisplay } = await import('./sim.ts');
      return new SimDisplay({ ...parsed, timers: deps.timers });
    }
    case 'serial-lcd': {
      const { SerialLcdDisplay } = await import('./serial-lcd.ts');
      return new SerialLcdDisplay({ ...parsed, ...deps });
    }
  }
}
