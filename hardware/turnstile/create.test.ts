import { accessSync, constants } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createTurnstile, turnstileConfigSchema } from './create.ts';
import { SimTurnstile } from './sim.ts';

function issues(input: unknown) {
  const result = turnstileConfigSchema.safeParse(input);
  assert.not.ok(result.success, 'expected the config to be refused');
  return result.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

test('config defaults to the simulator', () => {
  assert.equal(turnstileConfigSchema.parse(undefined), { driver: 'sim', autoPass: true, passDelayMs: 50 });
  assert.equal(turnstileConfigSchema.parse({ driver: 'gpio', pins: { openIn: 17, passage: 22 } }), {
    driver: 'gpio',
    pins: { openIn: 17, passage: 22 },
    activeLow: false,
    pulseMs: 300,
    debounceMs: 20,
  });
});

test('bad config names the key', () => {
  assert.equal(issues({ driver: 'gpio', pins: { openIn: 17, passage: '22' } })[0]?.path, 'pins.passage');
  assert.equal(issues({ driver: 'gpio', pins: { openIn: 17, passage: 17 } }), [
    { path: 'pins.passage', message: 'pin 17 is already used for openIn' },
  ]);
  assert.equal(issues({ driver: 'gpio' })[0]?.path, 'pins');
  assert.equal(issues({ driver: 'relay' })[0]?.path, 'driver');
  // A typo is refused rather than silently replaced by the default.
  assert.equal(issues({ driver: 'sim', passDelayMS: 10 }), [{ path: '', message: 'Unrecognized key: "passDelayMS"' }]);
});

test('createTurnstile({driver: "sim"}) gives a working simulator', async () => {
  const timers = new FakeTimers();
  const turnstile = await createTurnstile({ driver: 'sim' }, { timers });
  assert.instance(turnstile, SimTurnstile);
  await turnstile.start();
  const done = turnstile.open('in', 1);
  timers.advance(50);
  assert.equal(await done, { passed: 1 });
  await turnstile.stop();
});

test('createTurnstile rejects bad config with a ZodError', async () => {
  try {
    await createTurnstile({ driver: 'gpio', pins: { openIn: -1, passage: 22 } });
    assert.unreachable('should reject');
  } catch (error) {
    assert.instance(error, ZodError);
    assert.equal((error as ZodError).issues[0]?.path, ['pins', 'openIn']);
  }
});

const gpioAccessible = (() => {
  try {
    accessSync('/sys/class/gpio/export', constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

// Only where there is no GPIO: elsewhere this would export real pins.
if (!gpioAccessible) {
  test('driver gpio without an injected binding fails clearly where GPIO is missing', async () => {
    const turnstile = await createTurnstile({ driver: 'gpio', pins: { openIn: 17, passage: 22 } });
    try {
      await turnstile.start();
      assert.unreachable('start() should fail');
    } catch (error) {
      assert.instance(error, DeviceError);
      assert.is((error as DeviceError).code, 'gpio_unavailable');
      assert.match((error as Error).message, /sim/);
    }
  });
}

test.run();
