import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fingerprintConfigSchema } from '../../hardware/fingerprint/create.ts';
import { printerConfigSchema } from '../../hardware/printer/create.ts';

/**
 * The print bridge of a ticket window PC: the back office page (served by HQ or the site hub)
 * hands it ESC/POS jobs over loopback HTTP, and it prints them on the window's printer; with a
 * fingerprint module it also enrols fingers (two presses -> a template, never an image).
 */
export const bridgeConfigSchema = z.strictObject({
  printer: printerConfigSchema,
  /** The window's fingerprint module (R30x / AS60x), for enrolment (`POST /fingerprint/enrol`); optional. */
  fingerprint: fingerprintConfigSchema.optional(),
  /** Loopback only by default: the page runs on the same PC. */
  http: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8797) }).prefault({}),
  /**
   * Origins whose pages may print (HQ's and the site hub's address as the browser sees them,
   * e.g. "http://hq.example:8780"). A page of any other origin is refused, so no web site the
   * seller happens to open can print tickets.
   */
  allowOrigins: z.array(z.string().url()).min(1),
  /** Largest job (bytes): a ticket with a logo is tens of KB. */
  maxJobBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(2 * 1024 * 1024),
});
export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;
export type BridgeConfigInput = z.input<typeof bridgeConfigSchema>;

export function parseBridgeConfig(input: unknown, source = 'print bridge config'): BridgeConfig {
  const parsed = bridgeConfigSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return { ...parsed.data, allowOrigins: parsed.data.allowOrigins.map((o) => new URL(o).origin) };
}

export function loadBridgeConfig(path: string): BridgeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read print bridge config: ${(err as Error).message}`);
  }
  return parseBridgeConfig(raw, path);
}
