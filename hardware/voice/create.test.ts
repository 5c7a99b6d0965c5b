import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createVoice, voiceConfigSchema } from './create.ts';
import { SimVoice } from './sim.ts';

test('config defaults to a simulator that ends prompts at once', () => {
  assert.equal(voiceConfigSchema.parse(undefined), { driver: 'sim', msPerChar: 0 });
  assert.equal(voiceConfigSchema.parse({ driver: 'sim', msPerChar: 200 }), { driver: 'sim', msPerChar: 200 });
});

test('bad config names the key', () => {
  const paths = (input: unknown) => voiceConfigSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
  assert.equal(paths({ driver: 'sim', msPerChar: -1 }), ['msPerChar']);
  assert.equal(paths({ driver: 'tts' }), ['driver']);
  // A typo is refused rather than silently replaced by the default.
  assert.equal(voiceConfigSchema.safeParse({ driver: 'sim', msPerCharacter: 200 }).error?.issues[0]?.message, 'Unrecognized key: "msPerCharacter"');
});

test('createVoice gives a working simulator', async () => {
  const timers = new FakeTimers();
  const voice = await createVoice({ driver: 'sim', msPerChar: 100 }, { timers });
  assert.instance(voice, SimVoice);
  await voice.start();
  await voice.say({ id: 'welcome', locale: 'en', text: 'Hi' });
  assert.ok(voice.speaking);
  timers.advance(200);
  assert.not.ok(voice.speaking);
  await voice.stop();
});

test('createVoice rejects bad config with a ZodError', async () => {
  try {
    await createVoice({ driver: 'sim', msPerChar: 1.5 });
    assert.unreachable('should reject');
  } catch (error) {
    assert.instance(error, ZodError);
    assert.equal((error as ZodError).issues[0]?.path, ['msPerChar']);
  }
});

test.run();
