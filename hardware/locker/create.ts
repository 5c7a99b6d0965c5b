import { z } from 'zod';
import type { GpioFactory } from '../gpio/binding.ts';
import type { Timers } from '../timers.ts';
import type { LockerBank } from './port.ts';

const pin = z.number().int().min(0);
const lockerName = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  lockers: z.array(lockerName).min(1).max(512),
});

const gpioSchema = z.strictObject({
  driver: z.literal('gpio'),
  /** Per locker: the line that releases its lock, and the door sensor's line if wired. */
  lockers: z.record(lockerName, z.strictObject({ lock: pin, door: pin.optional() })),
  /** The lock line is active low (relay boards that switch on 0). */
  activeLow: z.boolean().default(false),
  /** How long the solenoid is powered: long enough to release, short enough not to burn. */
  pulseMs: z.number().int().min(20).max(5000).default(500),
  debounceMs: z.number().int().min(0).max(1000).default(30),
}).superRefine((c, ctx) => {
  const seen = new Map<number, string>();
  for (const [locker, p] of Object.entries(c.lockers)) {
    for (const [role, value] of Object.entries(p)) {
      if (value === undefined) continue;
      const other = seen.get(value);
      if (other) ctx.addIssue({ code: 'custom', path: ['lockers', locker, role], message: `pin ${value} is already used for ${other}` });
      seen.set(value, `${locker}.${role}`);
    }
  }
});

/** Locker part of a program's config. */
export const lockerConfigSchema = z.discriminatedUnion('driver', [simSchema, gpioSchema]);
export type LockerConfig = z.output<typeof lockerConfigSchema>;
export type LockerConfigInput = z.input<typeof lockerConfigSchema>;

export interface LockerDeps {
  timers?: Timers;
  /** Only for driver 'gpio'; without it onoff is loaded in start(). */
  gpio?: GpioFactory;
}

/** Builds the configured locker bank, not yet started, importing only the chosen driver. */
export async function createLockerBank(config: LockerConfigInput, deps: LockerDeps = {}): Promise<LockerBank> {
  const parsed = lockerConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimLockerBank } = await import('./sim.ts');
      return new SimLockerBank({ lockers: parsed.lockers, timers: deps.timers });
    }
    case 'gpio': {
      const { GpioLockerBank } = await import('./gpio.ts');
      return new GpioLockerBank({ ...parsed, ...deps });
    }
  }
}
