import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createCamera } from './create.ts';
import { FfmpegCamera } from './ffmpeg.ts';

// ffmpeg's synthetic source stands in for /dev/video0; the process, pipe and splitter code is the same.
const TESTSRC = ['-f', 'lavfi', '-re', '-i', 'testsrc=size=640x480:rate=10'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
  const camera = await createCamera({ driver: 'ffmpeg', input: TESTSRC, fps: 10, maxAgeMs: 50, captureTimeoutMs: 30_000 });
  const errors: Error[] = [];
  camera.on('error', (e) => errors.push(e));
  await rejectsWith(camera.capture(), 'not_started');
  await camera.start();
  const pid = (camera as FfmpegCamera).pid!;
  assert.ok(pid > 0 && alive(pid));
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
  assert.not.ok(alive(pid), 'ffmpeg is gone after stop()');
});

test('a failing ffmpeg is reported, retried, and capture() fails with capture_failed', async () => {
  const camera = new FfmpegCamera({ input: ['-f', 'lavfi', '-i', 'no_such_filter=1'], captureTimeoutMs: 600, restartDelayMs: 100 });
  const errors: DeviceError[] = [];
  const twoErrors = new Promise<void>((resolve) =>
    camera.on('error', (e) => {
      errors.push(e as DeviceError);
      if (errors.length === 2) resolve();
    }),
  );
  await camera.start();
  try {
    await rejectsWith(camera.capture(), 'capture_failed');
    await twoErrors;
    assert.is(errors[0]!.code, 'capture_failed');
    assert.match(String(errors[0]!.context.stderr), /no_such_filter|No such filter/);
  } finally {
    await camera.stop();
  }
});

test('a missing ffmpeg binary is an error event, not a crash', async () => {
  const camera = new FfmpegCamera({ ffmpegPath: '/nonexistent/ffmpeg', captureTimeoutMs: 200, restartDelayMs: 60_000 });
  const errors: Error[] = [];
  camera.on('error', (e) => errors.push(e));
  await camera.start();
  try {
    await rejectsWith(camera.capture(), 'capture_failed');
    for (let i = 0; i < 500 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    await camera.stop();
  }
  assert.is(errors.length, 1);
  assert.match(errors[0]!.message, /ENOENT/);
});

test('stop() rejects a waiting capture and can start again', async () => {
  // -re with -ss 30: the first frame would come after 30 s.
  const camera = new FfmpegCamera({ input: ['-f', 'lavfi', '-re', '-i', 'testsrc=size=640x480:rate=10', '-ss', '30'], captureTimeoutMs: 5000 });
  await camera.start();
  const waiting = rejectsWith(camera.capture(), 'not_started');
  await camera.stop();
  await waiting;
  const fast = new FfmpegCamera({ input: TESTSRC, fps: 10, captureTimeoutMs: 30_000 });
  await fast.start();
  await fast.stop();
  await fast.start();
  try {
    const frame = await fast.capture();
    assert.is((await sharp(frame.data).metadata()).width, 640);
  } finally {
    await fast.stop();
  }
});

test('ffmpeg killed from outside: reported, restarted, frames again', async () => {
  const marker = 'testsrc=size=320x240:rate=7';
  const camera = new FfmpegCamera({ input: ['-f', 'lavfi', '-re', '-i', marker], fps: 7, restartDelayMs: 100, maxAgeMs: 100, captureTimeoutMs: 30_000 });
  const errors: Error[] = [];
  camera.on('error', (e) => errors.push(e));
  await camera.start();
  try {
    assert.is((await sharp((await camera.capture()).data).metadata()).width, 320);
    const pid = camera.pid!;
    const reported = new Promise((resolve) => camera.once('error', resolve));
    process.kill(pid, 'SIGKILL');
    await reported;
    await new Promise((r) => setTimeout(r, 150));
    const again = await camera.capture();
    assert.is((await sharp(again.data).metadata()).width, 320);
    assert.is(errors.length, 1);
    assert.match(errors[0]!.message, /SIGKILL/);
    assert.ok(camera.pid !== undefined && camera.pid !== pid, 'a new ffmpeg');
  } finally {
    await camera.stop();
  }
});

test('restarts back off: 1 s, 2 s, 4 s ... after exits without a frame', async () => {
  const timers = new FakeTimers(0);
  const camera = new FfmpegCamera({ ffmpegPath: '/bin/false', timers, restartDelayMs: 1000, maxRestartDelayMs: 3000 });
  const errors: Error[] = [];
  let notify: () => void = () => {};
  camera.on('error', (e) => {
    errors.push(e);
    notify();
  });
  const nextError = (count: number) =>
    new Promise<void>((resolve) => {
      notify = () => errors.length >= count && resolve();
      notify();
    });
  await camera.start();
  try {
    await nextError(1);
    for (const [delay, count] of [[1000, 2], [2000, 3], [3000, 4], [3000, 5]] as const) {
      timers.advance(delay - 1);
      assert.is(camera.pid, undefined, `no restart before ${delay} ms`);
      assert.is(errors.length, count - 1);
      timers.advance(1);
      assert.ok(camera.pid, `restarted after ${delay} ms`);
      await nextError(count);
    }
  } finally {
    await camera.stop();
  }
  assert.is(timers.pendingCount, 0);
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
