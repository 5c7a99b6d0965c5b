import { z } from 'zod';
import type { Timers } from '../timers.ts';
import type { VoicePort } from './port.ts';

const simSchema = z.strictObject({
  driver: z.literal('sim'),
  /** 0 makes every prompt end at once; around 200 is a natural pace for Chinese. */
  msPerChar: z.number().int().min(0).default(0),
});

const command = z.array(z.string().min(1)).min(1);

const playerSchema = z.strictObject({
  driver: z.literal('player'),
  /** Where `npm run build:voice` wrote the clips (relative paths are from the working directory). */
  clipsDir: z.string().min(1).default('data/voice'),
  /** The player, `{file}` standing for the clip: default `aplay -q {file}`. */
  command: command.default(['aplay', '-q', '{file}']),
  /** Tried when the player fails, e.g. ["ffplay", "-nodisp", "-autoexit", "-loglevel", "error", "{file}"]. */
  fallbackCommand: command.optional(),
  /** Speaks the prompt's text when there is no clip, e.g. ["espeak-ng", "-v", "{voice}", "{text}"]. */
  ttsCommand: command.optional(),
  killAfterMs: z.number().int().min(1).default(500),
});

/** Voice part of a program's config; absent means the simulator. */
export const voiceConfigSchema = z.discriminatedUnion('driver', [simSchema, playerSchema]).prefault({ driver: 'sim' });
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
    case 'player': {
      const { PlayerVoice } = await import('./player.ts');
      return new PlayerVoice(parsed);
    }
  }
}
