import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import type { SerialBinding } from '../serial/line.ts';
import type { Timers } from '../timers.ts';
import { SUFFIXES } from './lines.ts';
import type { Scanner } from './port.ts';

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  source: z.string().min(1).default('sim'),
});

// Kept as hex text after parsing, so a parsed config parses again unchanged (the gate parses
// its whole config, then hands this part to createScanner).
const hexBytes = z.string().regex(/^(?:[0-9A-Fa-f]{2})*$/, 'hex bytes, e.g. "16540d"');

/**
 * Defaults: Honeywell's serial trigger commands, SYN T CR (16 54 0D) to start a scan and
 * SYN U CR (16 55 0D) to stop it, and its host escape "indicate good read" ESC 7 (1B 37) for the
 * beep. Other makes take other strings; "" leaves a command unconfigured.
 */
const commandsSchema = z.strictObject({
  trigger: hexBytes.default('16540d'),
  untrigger: hexBytes.default('16550d'),
  beep: hexBytes.default('1b37'),
});

const serialSchema = z.strictObject({
  driver: z.literal('serial'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  /** How the scanner is set to end each code. */
  suffix: z.enum(SUFFIXES).default('cr'),
  /** Bytes; a QR code holds at most 2953, so anything longer is garbage. */
  maxLength: z.number().int().min(8).max(65_536).default(4096),
  /** Without a suffix, this much quiet ends a code. */
  idleMs: z.number().int().min(1).max(10_000).default(50),
  /** With a suffix, an unterminated fragment is dropped after this much quiet. */
  partialTimeoutMs: z.number().int().min(1).max(60_000).default(1000),
  commands: commandsSchema.prefault({}),
  /** Reported with each code; default the path. */
  source: z.string().min(1).optional(),
  reconnectMs: z.number().int().min(1).default(250),
  reconnectMaxMs: z.number().int().min(1).default(10_000),
});

/** Scanner part of a program's config; absent means the simulator. */
export const scannerConfigSchema = z.discriminatedUnion('driver', [simSchema, serialSchema]).prefault({ driver: 'sim' });
export type ScannerConfig = z.output<typeof scannerConfigSchema>;
export type ScannerConfigInput = z.input<typeof scannerConfigSchema>;

/** What is not config: the serial binding (tests), clock and logger. */
export interface ScannerDeps {
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
}

/** Builds the configured scanner, not yet started, importing only the chosen driver. */
export async function createScanner(config: ScannerConfigInput, deps: ScannerDeps = {}): Promise<Scanner> {
  const parsed = scannerConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimScanner } = await import('./sim.ts');
      return new SimScanner(parsed);
    }
    case 'serial': {
      const { SerialScanner } = await import('./serial.ts');
      const { trigger, untrigger, beep } = parsed.commands;
      const commands = { trigger: Buffer.from(trigger, 'hex'), untrigger: Buffer.from(untrigger, 'hex'), beep: Buffer.from(beep, 'hex') };
      return new SerialScanner({ ...parsed, commands, ...deps });
    }
  }
}
