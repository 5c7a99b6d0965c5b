import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { buildClips } from './build.ts';
import { createVoice } from './create.ts';
import { PlayerVoice, type PlayerVoiceOptions } from './player.ts';
import type { VoiceEvents } from './port.ts';
import { parseWav } from './wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'voice-player-'));
const clips = join(dir, 'clips');
const log = join(dir, 'played.log');

/** A real program in place of aplay: records its arguments, then "plays" for `seconds`. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}
const player = script('player.sh', `printf '%s|%s\\n' "$(basename "$0")" "$*" >> '${log}'\nexec sleep 1.5`);
const broken = script('broken.sh', `printf '%s|%s\\n' "$(basename "$0")" "$*" >> '${log}'\necho 'aplay: main:831: audio open error: No such file or directory' >&2\nexit 1`);
const tts = script('tts.sh', `printf '%s|%s\\n' "$(basename "$0")" "$*" >> '${log}'`);

const played = (): string[][] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split('|')) : []);

test.before(async () => {
  await buildClips({ outDir: clips, only: ['welcome', 'used'] });
});
test.before.each(() => rmSync(log, { force: true }));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function setup(options: Partial<PlayerVoiceOptions> = {}) {
  const voice = new PlayerVoice({ clipsDir: clips, command: [player, '-q', '{file}'], ...options });
  const ends: VoiceEvents['end'][] = [];
  const errors: DeviceError[] = [];
  voice.on('end', (e) => ends.push(e));
  voice.on('error', (e) => errors.push(e as DeviceError));
  const ended = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => (ends.length + errors.length >= n ? resolve() : Date.now() - t0 > 30_000 ? reject(new Error('timeout')) : setTimeout(poll, 10));
      poll();
    });
  return { voice, ends, errors, ended };
}

test('plays the clip of the prompt through the player command; say() resolves when it starts', async () => {
  const { voice, ends, errors, ended } = setup();
  await voice.start();
  await voice.say({ id: 'welcome', locale: 'zh-CN', text: '欢迎光临' });
  // say() does not wait for the end: the player is still running.
  assert.ok(voice.speaking);
  assert.equal(ends, []);
  await ended(1);
  assert.equal(ends, [{ id: 'welcome', interrupted: false }]);
  assert.equal(errors, []);
  assert.not.ok(voice.speaking);
  const [[name, args]] = played() as [[string, string]];
  assert.is(name, 'player.sh');
  const [flag, file] = args.split(' ') as [string, string];
  assert.is(flag, '-q');
  assert.is(file, join(clips, 'zh-CN', 'welcome.wav'));
  assert.ok(parseWav(readFileSync(file)).durationMs > 500, 'the player was handed a real clip');
  await voice.stop();
});

test('a new prompt cuts off the one playing; of a burst only the newest plays', async () => {
  const { voice, ends, errors, ended } = setup();
  await voice.start();
  await voice.say({ id: 'welcome', locale: 'en' });
  await voice.say({ id: 'used', locale: 'en' });
  // The first player was stopped, not waited for.
  assert.equal(ends, [{ id: 'welcome', interrupted: true }]);
  await ended(2);
  assert.equal(ends[1], { id: 'used', interrupted: false });

  const burst = [
    voice.say({ id: 'welcome', locale: 'en' }),
    voice.say({ id: 'used', locale: 'zh-CN' }),
    voice.say({ id: 'welcome', locale: 'zh-CN' }),
  ];
  await Promise.all(burst);
  await ended(5);
  // The first two were overtaken (the first may have started its player and been stopped, so
  // its end can come after the second's); only the newest played to its end.
  const overtaken = ends.slice(2, 4).map((e) => `${e.id}:${e.interrupted}`).sort();
  assert.equal(overtaken, ['used:true', 'welcome:true']);
  assert.equal(ends[4], { id: 'welcome', interrupted: false });
  assert.is(ends.length, 5);
  assert.equal(errors, []);
  const files = played().map(([, args]) => args!.split(' ')[1]!.split('/').slice(-2).join('/'));
  // The first player may be stopped before its script logged anything; the overtaken ones never ran.
  assert.equal(files.slice(-2), ['en/used.wav', 'zh-CN/welcome.wav']);
  assert.not.ok(files.includes('zh-CN/used.wav'));
  await voice.stop();
});

test('a missing clip is a clip_missing error; with a TTS command the text is spoken instead', async () => {
  const { voice, ends, errors } = setup();
  await voice.start();
  await voice.say({ id: 'expired', locale: 'en', text: 'Ticket expired' });
  assert.is(errors.length, 1);
  assert.is(errors[0]!.code, 'clip_missing');
  assert.equal(ends, []);
  assert.equal(played(), []);

  const withTts = setup({ ttsCommand: [tts, '-v', '{voice}', '{text}'] });
  await withTts.voice.start();
  await withTts.voice.say({ id: 'expired', locale: 'zh-CN', text: '票已过期' });
  await withTts.ended(2);
  assert.is(withTts.errors[0]!.code, 'clip_missing');
  assert.equal(withTts.ends, [{ id: 'expired', interrupted: false }]);
  assert.equal(played(), [['tts.sh', '-v cmn 票已过期']]);
});

test('a failing player falls back to the second command; both failing is player_failed with stderr', async () => {
  const fallback = setup({ command: [broken, '{file}'], fallbackCommand: [player, '-q', '{file}'] });
  await fallback.voice.start();
  await fallback.voice.say({ id: 'used', locale: 'en' });
  await fallback.ended(1);
  assert.equal(fallback.errors, []);
  assert.equal(fallback.ends, [{ id: 'used', interrupted: false }]);
  assert.equal(played().map(([n]) => n), ['broken.sh', 'player.sh']);

  const failing = setup({ command: ['/nonexistent/aplay', '{file}'], fallbackCommand: [broken, '{file}'] });
  await failing.voice.start();
  await failing.voice.say({ id: 'used', locale: 'en' });
  await failing.ended(1);
  assert.equal(failing.ends, []);
  assert.is(failing.errors[0]!.code, 'player_failed');
  assert.match(failing.errors[0]!.message, /ENOENT/);
  assert.match(failing.errors[0]!.message, /audio open error/);
  assert.not.ok(failing.voice.speaking);
});

test('stop() cuts off the prompt; say() needs start() and a sane prompt', async () => {
  const { voice, ends } = setup();
  try {
    await voice.say({ id: 'welcome', locale: 'en' });
    assert.unreachable();
  } catch (error) {
    assert.is((error as DeviceError).code, 'not_started');
  }
  await voice.start();
  for (const bad of [{ id: '', locale: 'en' }, { id: 'welcome', locale: 'fr' }, { id: '../../etc/passwd', locale: 'en' }]) {
    try {
      await voice.say(bad as never);
      assert.unreachable();
    } catch (error) {
      assert.is((error as DeviceError).code, 'invalid_argument', JSON.stringify(bad));
    }
  }
  await voice.say({ id: 'welcome', locale: 'en' });
  await voice.stop();
  assert.equal(ends, [{ id: 'welcome', interrupted: true }]);
  assert.not.ok(voice.speaking);
});

test('factory builds the player driver from config', async () => {
  const voice = await createVoice({ driver: 'player', clipsDir: clips, command: [player, '{file}'] });
  assert.instance(voice, PlayerVoice);
  const ends: VoiceEvents['end'][] = [];
  voice.on('end', (e) => ends.push(e));
  await voice.start();
  await voice.say({ id: 'used', locale: 'zh-CN' });
  await voice.stop();
  assert.equal(ends, [{ id: 'used', interrupted: true }]);
});

test.run();
