import { z } from 'zod';
import type { GpioFactory } from '../gpio/binding.ts';
import type { FirmataIo } from '../gpio/firmata.ts';
import type { Timers } from '../timers.ts';
import { LIGHTS } from './port.ts';
import type { IndicatorPort } from './port.ts';

/** Keys every driver takes; a GPIO driver adds its pins next to them. */
const common = {
  /** Light shown in normal mode when nothing else is: 'off', or 'red' on lanes that show a red X. */
  idle: z.enum(LIGHTS).default('off'),
};

const simSchema = z.strictObject({ driver: z.literal('sim'), ...common });

const pin = z.number().int().min(0);
const pinsSchema = z
  .strictObject({ red: pin, green: pin, yellow: pin.optional(), buzzer: pin.optional() })
  .superRefine((pins, ctx) => {
    const seen = new Map<number, string>();
    for (const [role, value] of Object.entries(pins)) {
      if (value === undefined) continue;
      const other = seen.get(value);
      if (other) ctx.addIssue({ code: 'custom', path: [role], message: `pin ${value} is already used for ${other}` });
      seen.set(value, role);
    }
  });
const lines = {
  ...common,
  pins: pinsSchema,
  activeLow: z.boolean().default(false),
  blinkMs: z.number().int().min(50).default(400),
};

const gpioSchema = z.strictObject({ driver: z.literal('gpio'), ...lines });
const firmataSchema = z.strictObject({
  driver: z.literal('firmata'),
  ...lines,
  /** Serial port of the board running StandardFirmata. */
  port: z.string().min(1),
  readyTimeoutMs: z.number().int().min(100).default(10_000),
});

/** Indicator (lights and buzzer) part of a program's config; absent means the simulator. */
export const indicatorConfigSchema = z.discriminatedUnion('driver', [simSchema, gpioSchema, firmataSchema]).prefault({ driver: 'sim' });
export type IndicatorConfig = z.output<typeof indicatorConfigSchema>;
export type IndicatorConfigInput = z.input<typeof indicatorConfigSchema>;

/** What is not config: the clock and bindings, injected by tests. */
export interface IndicatorDeps {
  timers?: Timers;
  /** Only for driver 'gpio'; without it onoff is loaded in start(). */
  gpio?: GpioFactory;
  /** Only for driver 'firmata': an IO object used instead of opening `port`. */
  firmataIo?: FirmataIo;
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
    case 'gpio': {
      const { GpioIndicator } = await import('./gpio.ts');
      return new GpioIndicator({ ...parsed, timers: deps.timers, gpio: deps.gpio });
    }
    case 'firmata': {
      const { FirmataIndicator } = await import('./firmata.ts');
      return new FirmataIndicator({ ...parsed, timers: deps.timers, io: deps.firmataIo });
    }
  }
}
