import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createDisplay, displayConfigSchema } from './create.ts';
import { SimDisplay } from './sim.ts';

test('config defaults to a 4 x 20 simulator', () => {
  assert.equal(displayConfigSchema.parse(undefined), { driver: 'sim', rows: 4, columns: 20 });
  assert.equal(displayConfigSchema.parse({ driver: 'sim', rows: 2, columns: 16 }), { driver: 'sim', rows: 2, columns: 16 });
});

test('bad config names the key', () => {
  const paths = (input: unknown) => displayConfigSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
  assert.equal(paths({ driver: 'sim', rows: 0 }), ['rows']);
  assert.equal(paths({ driver: 'sim', columns: 1 }), ['columns']);
  assert.equal(paths({ driver: 'sim', columns: 20.5 }), ['columns']);
  assert.equal(paths({ driver: 'lcd' }), ['driver']);
  // A typo is refused rather than silently replaced by the default.
  assert.equal(displayConfigSchema.safeParse({ driver: 'sim', cols: 16 }).error?.issues[0]?.message, 'Unrecognized key: "cols"');
});

test('createDisplay gives a simulator of the configured size', async () => {
  const timers = new FakeTimers();
  const display = await createDisplay({ driver: 'sim', rows: 2, columns: 8 }, { timers });
  assert.instance(display, SimDisplay);
  await display.start();
  await display.show(['检票成功请通行', 'a', 'b'], { forMs: 100 });
  assert.equal(display.lines, ['检票成功', 'a']);
  timers.advance(100);
  assert.equal(display.lines, []);
  await display.stop();
});

test('createDisplay rejects bad config with a ZodError', async () => {
  try {
    await createDisplay({ driver: 'sim', rows: -2 });
    assert.unreachable('should reject');
  } catch (error) {
    assert.instance(error, ZodError);
    assert.equal((error as ZodError).issues[0]?.path, ['rows']);
  }
});

test.run();
