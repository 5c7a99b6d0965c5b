import { z } from 'zod';
import type { GpioFactory } from '../gpio/binding.ts';
import type { FirmataIo } from '../gpio/firmata.ts';
import type { Timers } from '../timers.ts';
import type { Turnstile } from './port.ts';

const pin = z.number().int().min(0);
const ms = z.number().int().min(0);

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  autoPass: z.boolean().default(true),
  passDelayMs: ms.default(50),
});

const pinsSchema = z
  .strictObject({ openIn: pin, openOut: pin.optional(), passage: pin, emergency: pin.optional(), alarm: pin.optional() })
  .superRefine((pins, ctx) => {
    // Two roles on one line would make the driver read its own output as a passage.
    const seen = new Map<number, string>();
    for (const [role, value] of Object.entries(pins)) {
      if (value === undefined) continue;
      const other = seen.get(value);
      if (other) ctx.addIssue({ code: 'custom', path: [role], message: `pin ${value} is already used for ${other}` });
      seen.set(value, role);
    }
  });

const gpioSchema = z.strictObject({
  driver: z.literal('gpio'),
  pins: pinsSchema,
  activeLow: z.boolean().default(false),
  pulseMs: ms.default(300),
  debounceMs: ms.default(20),
});

const firmataSchema = z.strictObject({
  driver: z.literal('firmata'),
  /** Serial port of the board running StandardFirmata. */
  port: z.string().min(1),
  /** Arduino digital pin numbers. */
  pins: pinsSchema,
  activeLow: z.boolean().default(false),
  /** Inputs use the board's internal pull-ups (contacts switching to ground; pair with activeLow). */
  pullup: z.boolean().default(false),
  pulseMs: ms.default(300),
  debounceMs: ms.default(20),
  readyTimeoutMs: z.number().int().min(100).default(10_000),
});

/** Turnstile part of a program's config; absent means the simulator. */
export const turnstileConfigSchema = z.discriminatedUnion('driver', [simSchema, gpioSchema, firmataSchema]).prefault({ driver: 'sim' });
export type TurnstileConfig = z.output<typeof turnstileConfigSchema>;
export type TurnstileConfigInput = z.input<typeof turnstileConfigSchema>;

/** What is not config: bindings and the clock, injected by tests. */
export interface TurnstileDeps {
  timers?: Timers;
  /** Only for driver 'gpio'; without it onoff is loaded in start(). */
  gpio?: GpioFactory;
  /** Only for driver 'firmata': an IO object used instead of opening `port` (a mock board in tests). */
  firmataIo?: FirmataIo;
}

/**
 * Builds the configured turnstile, not yet started. The driver module is imported here, on
 * demand, so the GPIO code (and onoff's native addon behind it) never loads for the simulator,
 * nor johnny-five unless the Firmata driver is chosen.
 * Throws a ZodError naming the bad key when the config is invalid.
 */
export async function createTurnstile(config: TurnstileConfigInput, deps: TurnstileDeps = {}): Promise<Turnstile> {
  const parsed = turnstileConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimTurnstile } = await import('./sim.ts');
      return new SimTurnstile({ ...parsed, timers: deps.timers });
    }
    case 'gpio': {
      const { GpioTurnstile } = await import('./gpio.ts');
      return new GpioTurnstile({ ...parsed, timers: deps.timers, gpio: deps.gpio });
    }
    case 'firmata': {
      const { FirmataTurnstile } = await import('./firmata.ts');
      return new FirmataTurnstile({ ...parsed, timers: deps.timers, io: deps.firmataIo });
    }
  }
}
