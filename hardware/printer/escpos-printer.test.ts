import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZodError } from 'zod';
import { SerialLine } from '../serial/line.ts';
import { openPtyPair } from '../testing/pty.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createPrinter, printerConfigSchema } from './create.ts';
import { PrinterDevice } from './device-sim.ts';
import { EscPosBuilder } from '../../shared/print/escpos.ts';
import { EscPosPrinter } from './escpos-printer.ts';
import type { PrinterError } from '../../shared/print/errors.ts';
import type { PrintJob } from './interpreter.ts';
import { MemoryLine } from './line.ts';
import { SimPrinter } from './sim.ts';
import type { PrinterStatus } from './status.ts';

const job = (text = '检票口 Gate 1') => new EscPosBuilder().init().chinese(true).line(text).qr('HELLO123', { moduleSize: 4, ecc: 'M' }).cut().bytes();
const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: PrinterError) => e.code);
const OK: PrinterStatus = { online: true, paper: 'ok', coverOpen: false, error: false };

test('sim: a job arrives whole at the simulated printer, status read before and after', async () => {
  const printer = new SimPrinter();
  await printer.start();
  const seen: PrintJob[] = [];
  printer.onJob((j) => seen.push(j));
  const result = await printer.print(job());
  assert.equal(result, { bytes: job().length, status: OK });
  assert.is(printer.device.statusRequests, 6);
  await printer.device.nextJob(1000).catch(() => undefined); // already cut: nothing more comes
  assert.is(printer.jobs.length, 1);
  assert.is(seen[0], printer.jobs[0]);
  assert.equal(printer.jobs[0]!.page.items.map((i) => i.kind), ['text', 'qr']);
  assert.equal(printer.jobs[0]!.problems, []);
  await printer.stop();
});

test('sim: paper out, cover open and near end are reported with typed codes', async () => {
  const printer = new SimPrinter();
  const statuses: PrinterStatus[] = [];
  printer.on('status', (s) => statuses.push(s));
  await printer.start();
  printer.device.setPaper('out');
  assert.is(await code(printer.print(job())), 'paper_out');
  assert.is(printer.jobs.length, 0, 'nothing sent to a printer without paper');
  assert.equal(await printer.status(), { online: false, paper: 'out', coverOpen: false, error: false });
  printer.device.setPaper('near_end');
  assert.equal((await printer.print(job())).status, { ...OK, paper: 'near_end' });
  printer.device.setPaper('ok');
  printer.device.setCoverOpen(true);
  assert.is(await code(printer.print(job())), 'cover_open');
  printer.device.setCoverOpen(false);
  printer.device.setError(true);
  assert.is(await code(printer.print(job())), 'printer_error');
  printer.device.setError(false);
  assert.equal(statuses.map((s) => [s.paper, s.coverOpen, s.error]), [['out', false, false], ['near_end', false, false], ['ok', true, false], ['ok', false, true]]);
  await printer.stop();
});

test('sim: paper running out during a job is reported after it, and the job is marked not printed', async () => {
  const printer = new SimPrinter();
  await printer.start();
  // Enough paper left for one job, not two.
  await printer.print(job());
  const height = printer.jobs[0]!.page.height;
  printer.device.setRoll(height + height / 2);
  await printer.print(job());
  assert.is(await code(printer.print(job())), 'paper_out');
  assert.equal(printer.jobs.map((j) => j.printed), [true, true, false]);
  assert.is(printer.device.status.paper, 'out');
  printer.device.setRoll(10_000);
  assert.is((await printer.print(job())).status?.paper, 'ok');
  await printer.stop();
});

test('a printer that does not answer gives no_response; late and stray bytes are reported and skipped', async () => {
  const timers = new FakeTimers();
  const [host, far] = MemoryLine.pair();
  const printer = new EscPosPrinter({ line: host, timers, statusTimeoutMs: 500 });
  const device = new PrinterDevice();
  device.serve(far);
  await far.start();
  await printer.start();
  const errors: string[] = [];
  printer.on('error', (e) => errors.push(e.message));
  device.silent = true;
  const pending = printer.status();
  await new Promise((r) => setImmediate(r));
  timers.advance(500);
  assert.is(await code(pending), 'no_response');
  device.silent = false;
  // The next read first waits out the stale period: the late answer and noise arriving in it
  // are reported and dropped, not taken for the next answers.
  const next = printer.status();
  await far.write(Buffer.from([0x00, 0xff, 0x7e]));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  // 0x12 is the silent printer's late answer to the request that timed out.
  assert.equal(errors.sort(), ['not a status byte: 0x0', 'not a status byte: 0xff', 'status byte nobody asked for: 0x12', 'status byte nobody asked for: 0x7e']);
  timers.advance(500);
  assert.equal(await next, OK);
  await printer.stop();
});

test('the answer after a long job on a slow line is given the time the job takes to send', async () => {
  const [host, far] = MemoryLine.pair();
  await far.start();
  let requests = 0;
  // A printer on a 10 kbit/s line: the request after a 300-byte job arrives some 300 ms late.
  far.on('data', (chunk) => {
    for (let i = 0; i + 1 < chunk.length; i++) {
      if (chunk[i] !== 0x10 || chunk[i + 1] !== 0x04) continue;
      requests++;
      setTimeout(() => void far.write(Buffer.from([0x12])), requests === 4 ? 250 : 0);
    }
  });
  const job = Buffer.concat([Buffer.alloc(294, 0x41), new EscPosBuilder().newline().cut().bytes()]).subarray(0, 300);
  const slow = new EscPosPrinter({ line: host, statusTimeoutMs: 100, bytesPerSecond: 1000 });
  await slow.start();
  assert.equal((await slow.print(job)).status, OK);
  await slow.stop();
  requests = 0;
  const [host2, far2] = MemoryLine.pair();
  await far2.start();
  far2.on('data', (chunk) => {
    for (let i = 0; i + 1 < chunk.length; i++) {
      if (chunk[i] !== 0x10 || chunk[i + 1] !== 0x04) continue;
      requests++;
      setTimeout(() => void far2.write(Buffer.from([0x12])), requests === 4 ? 250 : 0);
    }
  });
  const hasty = new EscPosPrinter({ line: host2, statusTimeoutMs: 100 });
  await hasty.start();
  assert.is(await code(hasty.print(job)), 'no_response', 'without the line speed the same printer looks dead');
  await hasty.stop();
});

test('noise mixed into the answers is skipped, the answer still read in step', async () => {
  const [host, far] = MemoryLine.pair();
  const printer = new EscPosPrinter({ line: host, statusTimeoutMs: 2000 });
  await far.start();
  await printer.start();
  let errors = 0;
  printer.on('error', () => errors++);
  // A hand-made printer: answers each request with garbage first, split and merged reads.
  far.on('data', (chunk) => {
    const n = chunk[2]!;
    const answer = n === 4 ? 0x7e : 0x12; // paper end on n = 4
    void far.write(Buffer.from([0xff, 0x00])).then(() => far.write(Buffer.from([0x81, answer])));
  });
  assert.equal(await printer.status(), { online: true, paper: 'out', coverOpen: false, error: false });
  assert.is(errors, 9, 'three noise bytes before each of three answers');
  await printer.stop();
});

test('calls before start() or with a bad job are refused', async () => {
  const printer = new SimPrinter();
  assert.is(await code(printer.print(job())), 'not_started');
  await printer.start();
  assert.is(await code(printer.print(new Uint8Array())), 'invalid_argument');
  assert.is(await code(printer.print('text' as unknown as Uint8Array)), 'invalid_argument');
  await printer.stop();
  await printer.stop();
});

test('serial: the driver through a real pseudo-terminal pair to the simulated printer', async () => {
  const pty = await openPtyPair();
  const printer = await createPrinter({ driver: 'serial', path: pty.a, baudRate: 115200 });
  const far = Object.assign(new SerialLine({ path: pty.b, baudRate: 115200 }), { duplex: true as const });
  const device = new PrinterDevice();
  device.serve(far);
  try {
    await far.start();
    await printer.start();
    const r = await printer.print(job('第一张'));
    assert.equal(r.status, OK);
    const second = device.nextJob();
    await printer.print(job('第二张'));
    await second;
    assert.equal(device.jobs.map((j) => (j.page.items[0] as { text: string }).text), ['第一张', '第二张']);
    device.setPaper('out');
    assert.is(await code(printer.print(job())), 'paper_out');
    assert.is(device.jobs.length, 2);
  } finally {
    await printer.stop();
    await far.stop();
    await pty.close();
  }
});

test('serial: cable pulled, typed error; cable back, printing resumes', async () => {
  const pty = await openPtyPair();
  const printer = await createPrinter({ driver: 'serial', path: pty.a, baudRate: 115200, statusTimeoutMs: 300 });
  const far = Object.assign(new SerialLine({ path: pty.b, baudRate: 115200, reconnectMs: 50 }), { duplex: true as const });
  far.on('error', () => undefined);
  const device = new PrinterDevice();
  device.serve(far);
  try {
    await far.start();
    await printer.start();
    await printer.print(job('before'));
    await pty.kill();
    assert.ok(['offline', 'no_response'].includes(await code(printer.print(job('lost')))));
    await pty.reopen();
    const end = Date.now() + 8000;
    let result = await code(printer.print(job('after')));
    while (result !== 'resolved' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      result = await code(printer.print(job('after')));
    }
    assert.is(result, 'resolved');
    assert.equal(device.jobs.map((j) => (j.page.items[0] as { text: string }).text), ['before', 'after']);
  } finally {
    await printer.stop();
    await far.stop();
    await pty.close();
  }
});

test('serial: a printer that is gone gives no_response, not a hang', async () => {
  const pty = await openPtyPair();
  const printer = await createPrinter({ driver: 'serial', path: pty.a, statusTimeoutMs: 200 });
  try {
    await printer.start();
    assert.is(await code(printer.print(job())), 'no_response');
  } finally {
    await printer.stop();
    await pty.close();
  }
});

test('file: jobs are appended to a device file; through a FIFO the reader gets them whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-lp-'));
  try {
    const file = join(dir, 'lp0');
    const printer = await createPrinter({ driver: 'file', path: file });
    await printer.start();
    assert.equal(await printer.print(job('a')), { bytes: job('a').length, status: undefined });
    await printer.print(job('b'));
    assert.is(await code(printer.status()), 'offline');
    await printer.stop();
    const device = new PrinterDevice();
    device.receive(readFileSync(file));
    assert.equal(device.jobs.map((j) => (j.page.items[0] as { text: string }).text), ['a', 'b']);

    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = new PrinterDevice();
    const stream = createReadStream(fifo);
    stream.on('data', (c) => reader.receive(c as Buffer));
    const done = new Promise<void>((r) => stream.on('close', () => r()));
    const viaFifo = await createPrinter({ driver: 'file', path: fifo });
    await viaFifo.start();
    await viaFifo.print(job('fifo'));
    await viaFifo.stop();
    await done;
    assert.equal(reader.jobs.map((j) => (j.page.items[0] as { text: string }).text), ['fifo']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file: a path that cannot be opened is reported as offline', async () => {
  const printer = await createPrinter({ driver: 'file', path: '/nonexistent/dir/lp0' });
  assert.is(await code(printer.start()), 'offline');
});

test('config: defaults, bad keys named', async () => {
  assert.equal(printerConfigSchema.parse(undefined), { driver: 'sim', paper: 80, statusTimeoutMs: 1000 });
  assert.equal(printerConfigSchema.parse({ driver: 'serial', path: '/dev/ttyS1' }), { driver: 'serial', path: '/dev/ttyS1', baudRate: 9600, statusTimeoutMs: 1000 });
  const paths = (input: unknown) => printerConfigSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
  assert.equal(paths({ driver: 'sim', paper: 76 }), ['paper']);
  assert.equal(paths({ driver: 'serial' }), ['path']);
  assert.equal(paths({ driver: 'file', path: 'x', baudRate: 9600 }), ['']);
  try {
    await createPrinter({ driver: 'usb' } as never);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ZodError);
  }
  const sim = await createPrinter({ driver: 'sim', paper: 58 });
  assert.instance(sim, SimPrinter);
  await sim.start();
  await sim.print(new EscPosBuilder().init().align('right').line('x').cut().bytes());
  assert.is((sim as SimPrinter).jobs[0]!.page.items[0]!.x, 384 - 12);
  await sim.stop();
});

test.run();
