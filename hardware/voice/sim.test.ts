import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import type { VoiceEvents, VoiceLocale, VoicePrompt } from './port.ts';
import { SimVoice, type SimVoiceOptions } from './sim.ts';

function setup(options: SimVoiceOptions = {}) {
  const timers = new FakeTimers();
  const voice = new SimVoice({ timers, ...options });
  const ends: VoiceEvents['end'][] = [];
  voice.on('end', (e) => ends.push(e));
  return { timers, voice, ends };
}

const ops = (v: SimVoice) => v.history.map(({ at: _at, ...rest }) => rest);
const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: DeviceError) => e.code);

test('speaks for msPerChar per character of the text, then ends', async () => {
  const { timers, voice, ends } = setup({ msPerChar: 100 });
  await voice.start();
  await voice.say({ id: 'welcome', locale: 'zh-CN', text: '欢迎光临' });
  assert.ok(voice.speaking, 'say() resolves once the prompt has started');
  assert.is(voice.prompt, 'welcome');
  timers.advance(399);
  assert.ok(voice.speaking);
  timers.advance(1);
  assert.not.ok(voice.speaking);
  assert.equal(ends, [{ id: 'welcome', interrupted: false }]);
  assert.equal(voice.history.map((r) => r.at), [0, 0, 400]);
  assert.equal(ops(voice).slice(1), [
    { op: 'say', id: 'welcome', locale: 'zh-CN', text: '欢迎光临' },
    { op: 'end', id: 'welcome', interrupted: false },
  ]);
  await voice.stop();
});

test('without text the id stands in for the length of the recording', async () => {
  const { timers, voice } = setup({ msPerChar: 10 });
  await voice.start();
  await voice.say({ id: 'used', locale: 'en' });
  timers.advance(39);
  assert.ok(voice.speaking);
  timers.advance(1);
  assert.not.ok(voice.speaking);
  assert.equal(ops(voice)[1], { op: 'say', id: 'used', locale: 'en' });
  await voice.stop();
});

test('a new prompt interrupts the current one instead of queueing behind it', async () => {
  const { timers, voice, ends } = setup({ msPerChar: 100 });
  await voice.start();
  await voice.say({ id: 'welcome', locale: 'en', text: 'Welcome, please pass' });
  timers.advance(300);
  await voice.say({ id: 'used', locale: 'en', text: 'Ticket used' });
  timers.advance(300);
  await voice.say({ id: 'welcome', locale: 'en', text: 'Welcome' });
  assert.equal(ends, [
    { id: 'welcome', interrupted: true },
    { id: 'used', interrupted: true },
  ]);
  timers.advance(700);
  assert.not.ok(voice.speaking);
  assert.equal(ends.at(-1), { id: 'welcome', interrupted: false });
  assert.is(timers.pendingCount, 0, 'the cut-off prompts left no timers behind');
  await voice.stop();
});

test('listeners see speaking already false when a prompt ends', async () => {
  const { timers, voice } = setup({ msPerChar: 5 });
  const seen: boolean[] = [];
  voice.on('end', () => seen.push(voice.speaking));
  await voice.start();
  await voice.say({ id: 'closed', locale: 'en' });
  await voice.say({ id: 'expired', locale: 'en' });
  timers.advance(1000);
  assert.equal(seen, [false, false]);
  await voice.stop();
});

test('msPerChar 0 ends each prompt as soon as it starts', async () => {
  const { timers, voice, ends } = setup();
  await voice.start();
  await voice.say({ id: 'emergency', locale: 'zh-CN', text: '紧急疏散' });
  assert.not.ok(voice.speaking);
  assert.equal(ends, [{ id: 'emergency', interrupted: false }]);
  assert.is(timers.pendingCount, 0);
  await voice.stop();
});

test('stop() cuts the prompt off', async () => {
  const { timers, voice, ends } = setup({ msPerChar: 100 });
  await voice.start();
  await voice.say({ id: 'welcome', locale: 'en' });
  await voice.stop();
  assert.not.ok(voice.speaking);
  assert.equal(ends, [{ id: 'welcome', interrupted: true }]);
  assert.is(timers.pendingCount, 0);
});

test('refuses what a hardware driver refuses', async () => {
  const { voice } = setup();
  assert.is(await code(voice.say({ id: 'welcome', locale: 'en' })), 'not_started');
  await voice.start();
  assert.is(await code(voice.say({ id: '', locale: 'en' })), 'invalid_argument');
  assert.is(await code(voice.say({ id: 'welcome', locale: 'fr' as VoiceLocale })), 'invalid_argument');
  assert.is(await code(voice.say({ id: 'welcome', locale: 'en', text: 3 } as unknown as VoicePrompt)), 'invalid_argument');
  assert.is(await code(voice.say(undefined as unknown as VoicePrompt)), 'invalid_argument');
  assert.equal(ops(voice), [{ op: 'start' }]);
  await voice.stop();
});

test('history keeps the newest records up to its limit', async () => {
  const { voice } = setup({ historyLimit: 2 });
  await voice.start();
  await voice.say({ id: 'closed', locale: 'en' });
  assert.equal(ops(voice), [
    { op: 'say', id: 'closed', locale: 'en' },
    { op: 'end', id: 'closed', interrupted: false },
  ]);
  await voice.stop();
});

test.run();
