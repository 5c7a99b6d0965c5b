import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createIndicator, indicatorConfigSchema } from './create.ts';
import { SimIndicator } from './sim.ts';

test('config defaults to the simulator', () => {
  assert.equal(indicatorConfigSchema.parse(undefined), { driver: 'sim', idle: 'off' });
  assert.equal(indicatorConfigSchema.parse({ driver: 'sim', idle: 'red' }), { driver: 'sim', idle: 'red' });
});

test('bad config names the key', () => {
  const paths = (input: unknown) => indicatorConfigSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
  assert.equal(paths({ driver: 'sim', idle: 'blue' }), ['idle']);
  assert.equal(paths({ driver: 'dmx' }), ['driver']);
  assert.equal(paths({ driver: 'gpio' }), ['pins']);
  assert.equal(paths({ driver: 'gpio', pins: { red: 1, green: 1 } }), ['pins.green']);
  // A typo is refused rather than silently replaced by the default.
  assert.equal(indicatorConfigSchema.safeParse({ driver: 'sim', idel: 'red' }).error?.issues[0]?.message, 'Unrecognized key: "idel"');
});

test('createIndicator gives a working simulator with the configured idle light', async () => {
  const timers = new FakeTimers();
  const indicator = await createIndicator({ driver: 'sim', idle: 'red' }, { timers });
  assert.instance(indicator, SimIndicator);
  await indicator.start();
  await indicator.show('green', { forMs: 100 });
  timers.advance(100);
  assert.is(indicator.state.light, 'red');
  await indicator.stop();
});

test('createIndicator rejects bad config with a ZodError', async () => {
  try {
    await createIndicator({ driver: 'sim', idle: 'white' as 'off' });
    assert.unreachable('should reject');
  } catch (error) {
    assert.instance(error, ZodError);
    assert.equal((error as ZodError).issues[0]?.path, ['idle']);
  }
});

test.run();
