import { z } from 'zod';
import type { GpioFactory } from '../gpio/binding.ts';
import type { Timers } from '../timers.ts';
import type { WiegandReader } from './port.ts';

const pin = z.number().int().min(0);
const frameTimeoutMs = z.number().int().min(5).max(500).default(25);

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  kind: z.enum(['wiegand26', 'wiegand34']).default('wiegand34'),
  frameTimeoutMs,
});

const gpioSchema = z.strictObject({
  driver: z.literal('gpio'),
  pins: z.strictObject({ d0: pin, d1: pin }).refine((p) => p.d0 !== p.d1, { message: 'd0 and d1 must be different lines', path: ['d1'] }),
  frameTimeoutMs,
  minBits: z.number().int().min(1).max(26).default(4),
});

/** Wiegand card reader part of a program's config; a lane without one leaves it out. */
export const wiegandConfigSchema = z.discriminatedUnion('driver', [simSchema, gpioSchema]);
export type WiegandConfig = z.output<typeof wiegandConfigSchema>;
export type WiegandConfigInput = z.input<typeof wiegandConfigSchema>;

export interface WiegandDeps {
  timers?: Timers;
  /** Only for driver 'gpio'; without it onoff is loaded in start(). */
  gpio?: GpioFactory;
}

/**
 * Builds the configured reader, not yet started, importing only the chosen driver (onoff only
 * for 'gpio', and only in start()). Throws a ZodError naming the bad key when the config is invalid.
 */
export async function createWiegandReader(config: WiegandConfigInput, deps: WiegandDeps = {}): Promise<WiegandReader> {
  const parsed = wiegandConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimWiegandReader } = await import('./sim.ts');
      return new SimWiegandReader({ ...parsed, timers: deps.timers });
    }
    case 'gpio': {
      const { GpioWiegandReader } = await import('./gpio.ts');
      return new GpioWiegandReader({ ...parsed, timers: deps.timers, gpio: deps.gpio });
    }
  }
}
