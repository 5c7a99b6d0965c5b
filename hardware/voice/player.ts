import { spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { checkPrompt } from './port.ts';
import type { VoiceEvents, VoicePort, VoicePrompt } from './port.ts';
import { clipPath } from './build.ts';
import { ESPEAK_VOICES } from './prompts.ts';

/** `{file}` stands for the clip's path; `{text}` and `{voice}` for a text-to-speech command. */
export const APLAY = ['aplay', '-q', '{file}'] as const;
export const FFPLAY = ['ffplay', '-nodisp', '-autoexit', '-loglevel', 'error', '{file}'] as const;
export const ESPEAK_SPEAK = ['espeak-ng', '-v', '{voice}', '{text}'] as const;

export interface PlayerVoiceOptions {
  /** Folder of `<locale>/<id>.wav` clips, as `npm run build:voice` writes them. */
  clipsDir: string;
  /** Player command, default `aplay -q {file}`. */
  command?: readonly string[];
  /** Tried when the player cannot be started or fails, e.g. FFPLAY where ALSA's aplay is missing. */
  fallbackCommand?: readonly string[];
  /**
   * Speaks `prompt.text` when there is no clip for the prompt (after reporting `clip_missing`),
   * e.g. ESPEAK_SPEAK. Without it a prompt without a clip stays silent.
   */
  ttsCommand?: readonly string[];
  /** After SIGTERM, a player still running this long is killed (default 500). */
  killAfterMs?: number;
}

interface Playing {
  id: string;
  child: ChildProcess;
  exited: Promise<void>;
  interrupted: boolean;
}

/**
 * Voice prompts played as recorded clips through a command-line player. One prompt sounds at a
 * time: a new say() stops the player of the one before (its `end` comes with interrupted:
 * true) and starts only once that player has exited, so a player holding the sound device
 * exclusively does not make the next one fail with "device busy". When several prompts come
 * while one is being stopped, only the newest plays; the ones it overtook end as interrupted.
 * Every prompt that passes the argument checks ends with exactly one `end` or one `error`
 * (DeviceError `clip_missing`, or `player_failed` with the player's stderr).
 */
export class PlayerVoice extends TypedEventEmitter<VoiceEvents> implements VoicePort {
  readonly #clipsDir: string;
  readonly #command: readonly string[];
  readonly #fallback: readonly string[] | undefined;
  readonly #tts: readonly string[] | undefined;
  readonly #killAfterMs: number;
  #started = false;
  #playing: Playing | undefined;
  /** Bumped by every say() and stop(): a prompt whose number is no longer current gives way. */
  #generation = 0;

  constructor(options: PlayerVoiceOptions) {
    super();
    this.#clipsDir = options.clipsDir;
    this.#command = options.command ?? APLAY;
    this.#fallback = options.fallbackCommand;
    this.#tts = options.ttsCommand;
    this.#killAfterMs = options.killAfterMs ?? 500;
  }

  get speaking(): boolean {
    return this.#playing !== undefined;
  }

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#generation++;
    await this.#interrupt();
  }

  async say(prompt: VoicePrompt): Promise<void> {
    checkPrompt(prompt);
    if (!this.#started) throw new DeviceError('not_started', 'voice is not started');
    if (!/^[a-z0-9_-]+$/i.test(prompt.id)) throw new DeviceError('invalid_argument', 'prompt id must be letters, digits, _ or -', { id: prompt.id });
    const generation = ++this.#generation;
    await this.#interrupt();
    const file = join(this.#clipsDir, clipPath(prompt.locale, prompt.id));
    const haveClip = await access(file).then(() => true, () => false);
    if (generation !== this.#generation) {
      this.emit('end', { id: prompt.id, interrupted: true });
      return;
    }
    const vars = { file, text: prompt.text ?? '', voice: ESPEAK_VOICES[prompt.locale] };
    const commands: (readonly string[])[] = [];
    if (haveClip) {
      commands.push(this.#command);
      if (this.#fallback) commands.push(this.#fallback);
    } else {
      this.emit('error', new DeviceError('clip_missing', `no voice clip ${clipPath(prompt.locale, prompt.id)}`, { file, id: prompt.id }));
      if (!this.#tts || !prompt.text) return;
      commands.push(this.#tts);
    }
    await this.#play(prompt.id, generation, commands.map((c) => c.map((arg) => arg.replace(/\{(file|text|voice)\}/g, (_, k: keyof typeof vars) => vars[k]))));
  }

  /** Runs the first command that starts; on a failure goes on to the next, then reports. Resolves once one has started. */
  #play(id: string, generation: number, commands: string[][]): Promise<void> {
    const failures: string[] = [];
    return new Promise((resolveStarted) => {
      const attempt = (index: number): void => {
        const command = commands[index];
        if (!command || generation !== this.#generation) {
          if (generation !== this.#generation) this.emit('end', { id, interrupted: true });
          else this.emit('error', new DeviceError('player_failed', `voice player failed: ${failures.join('; ')}`, { id, failures }));
          resolveStarted();
          return;
        }
        const [cmd, ...args] = command as [string, ...string[]];
        const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-1000)));
        let spawnError: Error | undefined;
        let resolveExited!: () => void;
        const playing: Playing = { id, child, exited: new Promise((r) => (resolveExited = r)), interrupted: false };
        // Tracked at once, so a say() or stop() right now can stop it even before it has started.
        this.#playing = playing;
        child.once('spawn', () => resolveStarted());
        child.once('error', (error) => (spawnError = error));
        // 'exit' rather than 'close': a player script's own children may keep stderr open.
        child.once('exit', (code, signal) => {
          // Without 'spawn' there is no exit either; 'close' follows an error alone.
          finish(code, signal);
        });
        child.once('close', (code, signal) => {
          if (spawnError) finish(code, signal);
        });
        let finished = false;
        const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
          if (finished) return;
          finished = true;
          if (this.#playing === playing) this.#playing = undefined;
          resolveExited();
          if (playing.interrupted) {
            this.emit('end', { id, interrupted: true });
          } else if (!spawnError && code === 0) {
            this.emit('end', { id, interrupted: false });
          } else {
            failures.push(`${cmd}: ${spawnError?.message ?? `exit ${signal ?? code}`}${stderr.trim() ? ` (${stderr.trim()})` : ''}`);
            // Only a player that never started may leave say() waiting; one that started has resolved it.
            attempt(index + 1);
          }
        };
      };
      attempt(0);
    });
  }

  async #interrupt(): Promise<void> {
    const playing = this.#playing;
    if (!playing) return;
    playing.interrupted = true;
    playing.child.kill('SIGTERM');
    const timer = setTimeout(() => playing.child.kill('SIGKILL'), this.#killAfterMs);
    await playing.exited;
    clearTimeout(timer);
  }
}
