import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createCamera } from './create.ts';
import { SimCamera } from './sim.ts';

const dir = mkdtempSync(join(tmpdir(), 'camera-sim-'));
const solid = (r: number) => sharp({ create: { width: 32, height: 24, channels: 3, background: { r, g: 0, b: 0 } } });

test.before(async () => {
  writeFileSync(join(dir, 'a.jpg'), await solid(200).jpeg().toBuffer());
  writeFileSync(join(dir, 'b.png'), await solid(50).png().toBuffer());
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, DeviceError);
    assert.is((error as DeviceError).code, code);
    return;
  }
  assert.unreachable(`expected a rejection with ${code}`);
}

test('cycles through the images of the folder in name order, stamped with the clock', async () => {
  const timers = new FakeTimers(5000);
  const camera = await createCamera({ driver: 'sim', dir }, { timers });
  await rejectsWith(camera.capture(), 'not_started');
  await camera.start();
  const frames = [await camera.capture(), await camera.capture(), await camera.capture()];
  assert.equal(frames.map((f) => f.format), ['jpeg', 'png', 'jpeg']);
  assert.is(frames[0]!.at, 5000);
  const stats = await sharp(frames[1]!.data).stats();
  assert.is(Math.round(stats.channels[0]!.mean), 50);
  await camera.stop();
});

test('select() serves one file until cleared; bad names are refused', async () => {
  const camera = new SimCamera({ dir, file: 'b.png' });
  await camera.start();
  assert.is((await camera.capture()).format, 'png');
  assert.is((await camera.capture()).format, 'png');
  camera.select('a.jpg');
  assert.is((await camera.capture()).format, 'jpeg');
  camera.select(undefined);
  await camera.capture();
  assert.equal(camera.served, ['b.png', 'b.png', 'a.jpg', 'a.jpg']);
  assert.throws(() => camera.select('../etc/passwd.jpg'), (e: DeviceError) => e.code === 'invalid_argument');
  assert.throws(() => camera.select('notes.txt'), (e: DeviceError) => e.code === 'invalid_argument');
});

test('a missing file, an empty folder, or bytes that are not the named format fail the capture', async () => {
  const camera = new SimCamera({ dir, file: 'gone.jpg' });
  await camera.start();
  await rejectsWith(camera.capture(), 'capture_failed');
  writeFileSync(join(dir, 'fake.jpg'), Buffer.from('GIF89a....'));
  camera.select('fake.jpg');
  await rejectsWith(camera.capture(), 'capture_failed');
  const empty = mkdtempSync(join(tmpdir(), 'camera-empty-'));
  const none = new SimCamera({ dir: empty });
  await none.start();
  await rejectsWith(none.capture(), 'capture_failed');
  rmSync(empty, { recursive: true });
  await rejectsWith(none.capture(), 'capture_failed');
});

test.run();
