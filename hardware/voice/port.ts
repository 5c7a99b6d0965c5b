import { DeviceError } from '../errors.ts';
import type { DevicePort, TypedEmitter } from '../port.ts';

export type VoiceLocale = 'zh-CN' | 'en';
export const VOICE_LOCALES = ['zh-CN', 'en'] as const satisfies readonly VoiceLocale[];

export interface VoicePrompt {
  /**
   * Stable prompt id ('welcome', 'used', 'expired', 'closed', 'emergency'): an audio player
   * plays its recording for `locale`, so the wording can be re-recorded without a code change.
   */
  id: string;
  locale: VoiceLocale;
  /** What a text-to-speech fallback speaks when there is no recording. */
  text?: string;
}

export interface VoiceEvents {
  /** A prompt stopped: played to the end, or cut off by a newer prompt or stop(). */
  end: { id: string; interrupted: boolean };
  /** A failure while playing, after say() has returned. */
  error: Error;
}

/**
 * Voice prompts of a lane. A new prompt cuts off the one playing: while a queue of visitors
 * passes, the gate must speak about the visitor in front of it, not work off a backlog.
 * say() resolves once the prompt has started, so speaking never holds up the turnstile; the end
 * comes as an `end` event. Rejects with a DeviceError when not started (`not_started`) or
 * given a bad prompt (`invalid_argument`).
 */
export interface VoicePort extends DevicePort, TypedEmitter<VoiceEvents> {
  say(prompt: VoicePrompt): Promise<void>;
  readonly speaking: boolean;
}

/** Argument checks shared by every driver, so the simulator refuses what the hardware refuses. */
export function checkPrompt(prompt: VoicePrompt): void {
  const { id, locale, text } = prompt ?? {};
  if (typeof id !== 'string' || id === '') throw new DeviceError('invalid_argument', 'prompt id must be a non-empty string', { id });
  if (!VOICE_LOCALES.includes(locale)) {
    throw new DeviceError('invalid_argument', `locale must be one of ${VOICE_LOCALES.join(', ')}`, { id, locale });
  }
  if (text !== undefined && typeof text !== 'string') throw new DeviceError('invalid_argument', 'prompt text must be a string', { id });
}
