import type { Sharp, SharpOptions } from 'sharp';

type SharpFn = (input?: Buffer, options?: SharpOptions) => Sharp;
let sharpFn: SharpFn | undefined;

/**
 * sharp (libvips, ~20 MB of a process's memory) is loaded on first use: shared/ is imported by
 * processes that never decode or render an image (a kiosk that prints ESC/POS, a hub, a POS).
 */
export async function sharpLib(): Promise<SharpFn> {
  if (!sharpFn) {
    const m = await import('sharp') as unknown as { default: SharpFn };
    sharpFn = m.default;
  }
  return sharpFn;
}
