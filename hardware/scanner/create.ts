import { z } from 'zod';
import type { Scanner } from './port.ts';

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  source: z.string().min(1).default('sim'),
});

/** Scanner part of a program's config; absent means the simulator. A serial driver joins the union later. */
export const scannerConfigSchema = z.discriminatedUnion('driver', [simSchema]).prefault({ driver: 'sim' });
export type ScannerConfig = z.output<typeof scannerConfigSchema>;
export type ScannerConfigInput = z.input<typeof scannerConfigSchema>;

/** Builds the configured scanner, not yet started, importing only the chosen driver. */
export async function createScanner(config: ScannerConfigInput): Promise<Scanner> {
  const parsed = scannerConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimScanner } = await import('./sim.ts');
      return new SimScanner(parsed);
    }
  }
}
