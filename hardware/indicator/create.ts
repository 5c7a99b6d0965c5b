import { z } from 'zod';
import type { Timers } from '../timers.ts';
import { LIGHTS } from './port.ts';
import type { IndicatorPort } from './port.ts';

/** Keys every driver takes; a GPIO driver adds its pins next to them. */
const common = {
  /** Light shown in normal mode when nothing else is: 'off', or 'red' on lanes that show a red X. */
  idle: z.enum(LIGHTS).default('off'),
};

const simSchema = z.strictObject({ driver: z.literal('sim'), ...common });

/** Indicator (lights and buzzer) part of a program's config; absent means the simulator. */
export const indicatorConfigSchema = z.discriminatedUnion('driver', [simSchema]).prefault({ driver: 'sim' });
export type IndicatorConfig = z.output<typeof indicatorConfigSchema>;
export type IndicatorConfigInput = z.input<typeof indicatorConfigSchema>;

/** What is not config: the clock, injected by tests. */
export interface IndicatorDeps {
  timers?: Timers;
}

/**
 * Builds the configured indicator, not yet started, importing only the chosen driver.
 * Throws a ZodError naming the bad key when the config is invalid.
 */
export async function createIndicator(config: IndicatorConfigInput, deps: IndicatorDeps = {}): Promise<IndicatorPort> {
  const parsed = indicatorConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimIndicator } = await import('./sim.ts');
      return new SimIndicator({ ...parsed, timers: deps.timers });
    }
  }
}
