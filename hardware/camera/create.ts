import { z } from 'zod';
import type { Timers } from '../timers.ts';
import type { Camera } from './port.ts';

const ms = z.number().int().min(1);

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  /** Folder of .jpg/.png images served in turn. */
  dir: z.string().min(1),
  /** Serve only this file of the folder. */
  file: z.string().min(1).optional(),
});

const ffmpegSchema = z.strictObject({
  driver: z.literal('ffmpeg'),
  device: z.string().min(1).default('/dev/video0'),
  size: z.string().regex(/^\d+x\d+$/, 'size must look like 640x480').optional(),
  fps: z.number().int().min(1).max(60).default(5),
  /** Raw ffmpeg input arguments replacing the V4L2 ones (another capture API, a test source). */
  input: z.array(z.string()).min(1).optional(),
  quality: z.number().int().min(2).max(31).default(5),
  ffmpegPath: z.string().min(1).default('ffmpeg'),
  maxAgeMs: ms.default(500),
  captureTimeoutMs: ms.default(5000),
  restartDelayMs: ms.default(1000),
  maxRestartDelayMs: ms.default(30_000),
});

/** Camera part of a program's config; a lane without a camera leaves it out. */
export const cameraConfigSchema = z.discriminatedUnion('driver', [simSchema, ffmpegSchema]);
export type CameraConfig = z.output<typeof cameraConfigSchema>;
export type CameraConfigInput = z.input<typeof cameraConfigSchema>;

export interface CameraDeps {
  timers?: Timers;
}

/**
 * Builds the configured camera, not yet started, importing only the chosen driver.
 * Throws a ZodError naming the bad key when the config is invalid.
 */
export async function createCamera(config: CameraConfigInput, deps: CameraDeps = {}): Promise<Camera> {
  const parsed = cameraConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimCamera } = await import('./sim.ts');
      return new SimCamera({ ...parsed, timers: deps.timers });
    }
    case 'ffmpeg': {
      const { FfmpegCamera } = await import('./ffmpeg.ts');
      return new FfmpegCamera({ ...parsed, timers: deps.timers });
    }
  }
}
