import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { createCamera } from './create.ts';
import { FfmpegCamera } from './ffmpeg.ts';

// ffmpeg's synthetic source stands in for /dev/video0; the process, pipe and splitter code is the same.
const TESTSRC = ['-f', 'lavfi', '-re', '-i', 'testsrc=size=640x480:rate=10'];

function ffmpegPids(): string[] {
  try {
    return execFileSync('pgrep', ['-f', 'testsrc=size=640x480:rate=10'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<DeviceError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, DeviceError);
    assert.is((error as DeviceError).code, code);
    return error as DeviceError;
  }
  throw new Error(`expected a rejection with ${code}`);
}

test('default command line reads V4L2 and writes MJPEG to stdout', () => {
  const camera = new FfmpegCamera({ device: '/dev/video2', size: '1280x720', fps: 8 });
  const args = camera.args.join(' ');
  assert.match(args, '-f v4l2 -framerate 8 -video_size 1280x720 -i /dev/video2');
  assert.match(args, '-f image2pipe -vcodec mjpeg -q:v 5 -');
});

test('captures frames that decode as 640x480 JPEGs, fresh each time', async () => {
  const camera = await createCamera({ driver: 'ffmpeg', input: TESTSRC, fps: 10, maxAgeMs: 50 });
  const errors: Error[] = [];
  camera.on('error', (e) => errors.push(e));
  await rejectsWith(camera.capture(), 'not_started');
  await camera.start();
  try {
    const first = await camera.capture();
    assert.is(first.format, 'jpeg');
    assert.is(first.data[0], 0xff);
    assert.is(first.data[1], 0xd8);
    const meta = await sharp(first.data).metadata();
    assert.is(meta.format, 'jpeg');
    assert.is(meta.width, 640);
    assert.is(meta.height, 480);
    const { info } = await sharp(first.data).raw().toBuffer({ resolveWithObject: true });
    assert.is(info.width * info.height * info.channels, 640 * 480 * 3);
    await new Promise((r) => setTimeout(r, 120));
    const second = await camera.capture();
    assert.ok(second.at > first.at, 'a frame older than maxAgeMs is not returned again');
    // testsrc has a running counter drawn in: consecutive frames differ.
    assert.not.ok(second.data.equals(first.data));
    // Several callers at once share the next frame.
    await new Promise((r) => setTimeout(r, 120));
    const [a, b] = await Promise.all([camera.capture(), camera.capture()]);
    assert.is(a, b);
  } finally {
    await camera.stop();
  }
  assert.equal(errors, []);
  assert.equal(ffmpegPids(), [], 'ffmpeg is gone after stop()');
});

test('a failing ffmpeg is reported, retried, and capture() fails with capture_failed', async () => {
  const camera = new FfmpegCamera({ input: ['-f', 'lavfi', '-i', 'no_such_filter=1'], captureTimeoutMs: 600, restartDelayMs: 100 });
  const errors: Error[] = [];
  camera.on('error', (e) => errors.push(e));
  await camera.start();
  const error = await rejectsWith(camera.capture(), 'capture_failed');
  assert.match(String(error.context.stderr), /no_such_filter|No such filter/);
  await camera.stop();
  assert.ok(errors.length >= 2, `restarted after failing (${errors.length} errors)`);
  assert.instance(errors[0], DeviceError);
  assert.is((errors[0] as DeviceError).code, 'capture_failed');
});

test('a missing ffmpeg binary is an error event, not a crash', async () => {
  const camera = new FfmpegCamera({ ffmpegPath: '/nonexistent/ffmpeg', captureTimeoutMs: 200, restartDelayMs: 1000 });
  const errors: Error[] = [];
  camera.on('error', (e) => errors.push(e));
  await camera.start();
  await rejectsWith(camera.capture(), 'capture_failed');
  await camera.stop();
  assert.is(errors.length, 1);
  assert.match(errors[0].message, /ENOENT/);
});

test('stop() rejects a waiting capture and can start again', async () => {
  // -re with -ss 30: the first frame would come after 30 s.
  const camera = new FfmpegCamera({ input: ['-f', 'lavfi', '-re', '-i', 'testsrc=size=640x480:rate=10', '-ss', '30'], captureTimeoutMs: 5000 });
  await camera.start();
  const waiting = rejectsWith(camera.capture(), 'not_started');
  await camera.stop();
  await waiting;
  const fast = new FfmpegCamera({ input: TESTSRC, fps: 10 });
  await fast.start();
  await fast.stop();
  await fast.start();
  const frame = await fast.capture();
  assert.is((await sharp(frame.data).metadata()).width, 640);
  await fast.stop();
});

test('config: bad keys are refused by name', async () => {
  try {
    await createCamera({ driver: 'ffmpeg', size: 'big' } as never);
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /size/);
  }
  try {
    await createCamera({ driver: 'ffmpeg', fsp: 5 } as never);
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /fsp/);
  }
});

test.run();
