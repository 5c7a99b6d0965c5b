import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { openPtyPair, type PtyPair } from '../testing/pty.ts';
import { createScanner, scannerConfigSchema } from './create.ts';
import type { Suffix } from './lines.ts';
import type { ScannerEvents } from './port.ts';
import { SerialScanner } from './serial.ts';
import { SerialScannerSim } from './serial-sim.ts';

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Rig {
  pty: PtyPair;
  scanner: SerialScanner;
  sim: SerialScannerSim;
  codes: ScannerEvents['code'][];
  errors: DeviceError[];
  close(): Promise<void>;
}

async function rig(suffix: Suffix, mode: 'presentation' | 'trigger' = 'presentation', extra: Record<string, unknown> = {}): Promise<Rig> {
  const pty = await openPtyPair();
  return rigOn(pty, suffix, mode, extra).catch(async (err: unknown) => {
    await pty.close();
    throw err;
  });
}

async function rigOn(pty: PtyPair, suffix: Suffix, mode: 'presentation' | 'trigger', extra: Record<string, unknown>): Promise<Rig> {
  const config = scannerConfigSchema.parse({ driver: 'serial', path: pty.a, baudRate: 115200, suffix, reconnectMs: 20, ...extra });
  if (config.driver !== 'serial') throw new Error('unreachable');
  const scanner = (await createScanner(config)) as SerialScanner;
  const hex = config.commands;
  const commands = { trigger: Buffer.from(hex.trigger, 'hex'), untrigger: Buffer.from(hex.untrigger, 'hex'), beep: Buffer.from(hex.beep, 'hex') };
  const sim = new SerialScannerSim({ path: pty.b, baudRate: 115200, suffix, mode, commands });
  const codes: ScannerEvents['code'][] = [];
  const errors: DeviceError[] = [];
  scanner.on('code', (c) => codes.push(c));
  scanner.on('error', (e) => errors.push(e as DeviceError));
  await scanner.start();
  await sim.start();
  return {
    pty, scanner, sim, codes, errors,
    async close() {
      await scanner.stop();
      await sim.stop();
      await pty.close();
    },
  };
}

test('codes with each suffix reach the driver through a pty', async () => {
  for (const suffix of ['cr', 'lf', 'crlf', 'tab', 'none'] as const) {
    const r = await rig(suffix, 'presentation', { idleMs: 200 });
    try {
      await r.sim.scan('ABCDEFGHJKMNPQRS234567');
      await until(() => r.codes.length === 1);
      await r.sim.scan('6901234567892');
      await until(() => r.codes.length === 2);
      assert.equal(r.codes.map((c) => c.text), ['ABCDEFGHJKMNPQRS234567', '6901234567892'], suffix);
      assert.is(r.codes[0]!.source, r.pty.a);
      assert.equal(r.errors, [], suffix);
    } finally {
      await r.close();
    }
  }
});

test('trigger mode: nothing is read until the host triggers; beep reaches the scanner', async () => {
  const r = await rig('cr', 'trigger');
  try {
    await r.sim.scan('TICKET-1');
    await new Promise((res) => setTimeout(res, 80));
    assert.equal(r.codes, []);
    await r.scanner.trigger();
    await until(() => r.codes.length === 1);
    assert.is(r.codes[0]!.text, 'TICKET-1');
    assert.not.ok(r.sim.triggered); // one good read ends the scan
    await r.scanner.trigger();
    await until(() => r.sim.triggered);
    await r.scanner.untrigger();
    await until(() => !r.sim.triggered);
    await r.scanner.beep();
    await r.scanner.beep();
    await until(() => r.sim.beeps === 2);
  } finally {
    await r.close();
  }
});

test('noise, garbage and fragments give error events; the next code still reads', async () => {
  const r = await rig('cr', 'presentation', { maxLength: 32, partialTimeoutMs: 300 });
  try {
    await r.sim.raw(Buffer.concat([Buffer.from([0x00, 0x00, 0x18]), Buffer.from('X'.repeat(100)), Buffer.from('\r')]));
    await r.sim.scan('AFTER-GARBAGE');
    await until(() => r.codes.length === 1);
    await r.sim.raw('HALF'); // the rest never comes
    await until(() => r.errors.some((e) => e.context.bytes === 4));
    await r.sim.scan('NEXT');
    await until(() => r.codes.length === 2);
    assert.equal(r.codes.map((c) => c.text), ['AFTER-GARBAGE', 'NEXT']);
    const codes = r.errors.map((e) => e.code);
    assert.ok(codes.includes('line_too_long'), codes.join());
    assert.ok(codes.includes('bad_frame'), codes.join());
  } finally {
    await r.close();
  }
});

test('the scanner is unplugged and plugged back in: codes read again', async () => {
  const r = await rig('cr');
  try {
    await r.sim.scan('BEFORE');
    await until(() => r.codes.length === 1);
    await r.sim.stop();
    await r.pty.kill();
    await until(() => !r.scanner.isOpen);
    await r.pty.reopen();
    await r.scanner.waitOpen(3000);
    const sim2 = new SerialScannerSim({ path: r.pty.b, baudRate: 115200, suffix: 'cr', mode: 'presentation', commands: { trigger: Buffer.alloc(0), untrigger: Buffer.alloc(0), beep: Buffer.alloc(0) } });
    await sim2.start();
    await sim2.scan('AFTER');
    await until(() => r.codes.length === 2);
    assert.is(r.codes[1]!.text, 'AFTER');
    await sim2.stop();
  } finally {
    await r.close();
  }
});

test('commands before start and unconfigured commands are refused with a code', async () => {
  const scanner = new SerialScanner({
    path: '/nonexistent', baudRate: 9600, suffix: 'cr', maxLength: 64, idleMs: 50, partialTimeoutMs: 500,
    commands: { trigger: Buffer.alloc(0), untrigger: Buffer.alloc(0), beep: Buffer.alloc(0) },
  });
  const early = await scanner.trigger().catch((e: unknown) => e);
  assert.ok(early instanceof DeviceError && early.code === 'not_started');
  const errors: Error[] = [];
  scanner.on('error', (e) => errors.push(e));
  await scanner.start(); // the device is missing: reported, not thrown
  assert.is((errors[0] as DeviceError).code, 'serial_unavailable');
  const beep = await scanner.beep().catch((e: unknown) => e);
  assert.ok(beep instanceof DeviceError && beep.code === 'not_wired');
  await scanner.stop();
});

test('config: serial defaults and a bad key named', () => {
  const c = scannerConfigSchema.parse({ driver: 'serial', path: '/dev/ttyUSB0' });
  assert.ok(c.driver === 'serial');
  if (c.driver !== 'serial') return;
  assert.is(c.baudRate, 9600);
  assert.is(c.suffix, 'cr');
  assert.is(c.commands.trigger, '16540d');
  assert.is(c.commands.beep, '1b37');
  assert.equal(scannerConfigSchema.parse(c), c); // parsing again changes nothing (the gate parses twice)
  const bad = scannerConfigSchema.safeParse({ driver: 'serial', path: '/dev/x', commands: { trigger: '16 54' } });
  assert.equal(bad.error?.issues[0]?.path, ['commands', 'trigger']);
  const badSuffix = scannerConfigSchema.safeParse({ driver: 'serial', path: '/dev/x', suffix: 'etx' });
  assert.equal(badSuffix.error?.issues[0]?.path, ['suffix']);
});

test.run();
