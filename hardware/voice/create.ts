import { z } from 'zod';
import type { Timers } from '../timers.ts';
import type { VoicePort } from './port.ts';

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  /** 0 makes every prompt end at once; around 200 is a natural pace for Chinese. */
  msPerChar: z.number().int().min(0).default(0),
});

/** Voice part of a program's config; absent means the simulator. An audio player driver joins the union later. */
export const voiceConfigSchema = z.discriminatedUnion('driver', [simSchema]).prefault({ driver: 'sim' });
export type VoiceConfig = z.output<typeof voiceConfigSchema>;
export type VoiceConfigInput = z.input<typeof voiceConfigSchema>;

/** What is not config: the clock, injected by tests. */
export interface VoiceDeps {
  timers?: Timers;
}

/**
 * Builds the configured voice, not yet started, importing only the chosen driver.
 * Throws a ZodError naming the bad key when the config is invalid.
 */
export async function createVoice(config: VoiceConfigInput, deps: VoiceDeps = {}): Promise<VoicePort> {
  const parsed = voiceConfigSchema.parse(config);
  switch (parsed.driver) {
    case 'sim': {
      const { SimVoice } = await import('./sim.ts');
      return new SimVoice({ ...parsed, timers: deps.timers });
    }
  }
}
