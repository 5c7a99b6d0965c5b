import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import type { SerialBinding } from '../serial/line.ts';
import type { Timers } from '../timers.ts';
import type { PrinterPort } from './port.ts';

const statusTimeoutMs = z.number().int().min(10).max(60_000).default(1000);

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  /** 58 or 80 mm paper. */
  paper: z.union([z.literal(58), z.literal(80)]).default(80),
  statusTimeoutMs,
});

const serialSchema = z.strictObject({
  driver: z.literal('serial'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  statusTimeoutMs,
});

/** A device file such as /dev/usb/lp0: write-only, so no status is read. */
const fileSchema = z.strictObject({
  driver: z.literal('file'),
  path: z.string().min(1),
});

/** Printer part of a program's config; absent means the simulator. */
export const printerConfigSchema = z.discriminatedUnion('driver', [simSchema, serialSchema, fileSchema]).prefault({ driver: 'sim' });
export type PrinterConfig = z.output<typeof printerConfigSchema>;
export type PrinterConfigInput = z.input<typeof printerConfigSchema>;

export interface PrinterDeps {
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
}

/** Builds the configured printer, not yet started, importing only the chosen driver. */
export async function createPrinter(config: PrinterConfigInput, deps: PrinterDeps = {}): Promise<PrinterPort> {
  const parsed = printerConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimPrinter } = await import('./sim.ts');
      const { PAPER_DOTS } = await import('../../shared/print/page.ts');
      return new SimPrinter({ paperWidth: PAPER_DOTS[parsed.paper], statusTimeoutMs: parsed.statusTimeoutMs, ...deps });
    }
    case 'serial': {
      const [{ EscPosPrinter }, { SerialLine }] = await Promise.all([import('./escpos-printer.ts'), import('../serial/line.ts')]);
      const line = Object.assign(new SerialLine({ path: parsed.path, baudRate: parsed.baudRate, ...deps }), { duplex: true as const });
      return new EscPosPrinter({ line, statusTimeoutMs: parsed.statusTimeoutMs, bytesPerSecond: parsed.baudRate / 10, timers: deps.timers, log: deps.log });
    }
    case 'file': {
      const [{ EscPosPrinter }, { FileLine }] = await Promise.all([import('./escpos-printer.ts'), import('./line.ts')]);
      return new EscPosPrinter({ line: new FileLine(parsed.path), timers: deps.timers, log: deps.log });
    }
  }
}
