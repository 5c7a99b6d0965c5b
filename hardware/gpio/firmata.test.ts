import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { openFirmataBoard } from './firmata.ts';
import { ObservableFirmata } from './mock-firmata-io.ts';

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

test('a serial port that does not exist fails with firmata_unavailable, without a stray error later', async () => {
  const errors: Error[] = [];
  const error = await rejectsWith(openFirmataBoard({ port: '/dev/ttyNOPE9', readyTimeoutMs: 3000 }, (e) => errors.push(e)), 'firmata_unavailable');
  assert.match(error.message, /ttyNOPE9/);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(errors, []);
});

test('a serial port with no Firmata behind it (a silent pseudo terminal) times out and is closed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firmata-pty-'));
  const link = join(dir, 'tty');
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${link}`, 'pty,raw,echo=0'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(existsSync(link), 'socat made the pty');
    const error = await rejectsWith(openFirmataBoard({ port: link, readyTimeoutMs: 1200 }), 'firmata_unavailable');
    assert.match(error.message, /not ready within 1200 ms/);
  } finally {
    socat.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lines on a mock board: unknown pins refused, inputs settle on their first report', async () => {
  const io = new ObservableFirmata();
  io.levels.set(3, 1);
  const board = await openFirmataBoard({ io, readyTimeoutMs: 500 });
  assert.throws(() => board.line(99, 'in', 'both'), (e: DeviceError) => e.code === 'not_wired');
  const input = board.line(3, 'in', 'both');
  const seen: number[] = [];
  input.watch((err, value) => seen.push(value));
  await board.settle();
  assert.is(input.readSync(), 1, 'first report read, not taken as an edge');
  assert.equal(seen, []);
  io.drive(3, 1);
  io.drive(3, 0);
  assert.equal(seen, [0], 'repeated reports of the same level are not edges');
  const out = board.line(4, 'high');
  assert.equal(io.writes, [[4, 1]]);
  out.writeSync(0);
  input.unexport();
  out.unexport();
  assert.throws(() => out.writeSync(1), (e: DeviceError) => e.code === 'not_started');
  io.drive(3, 1);
  assert.equal(seen, [0]);
  await board.close();
});

test.run();
