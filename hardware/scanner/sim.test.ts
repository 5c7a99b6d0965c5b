import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { createScanner, scannerConfigSchema } from './create.ts';
import type { ScannerEvents } from './port.ts';
import { SimScanner } from './sim.ts';

test('present() emits the code with its source while started', async () => {
  const scanner = new SimScanner({ source: 'lane-1' });
  const codes: ScannerEvents['code'][] = [];
  scanner.on('code', (c) => codes.push(c));
  assert.throws(() => scanner.present('EARLY'), (e: unknown) => e instanceof DeviceError && e.code === 'not_started');
  await scanner.start();
  scanner.present('ABC234');
  await scanner.stop();
  assert.throws(() => scanner.present('LATE'), /not started/);
  assert.equal(codes, [{ text: 'ABC234', source: 'lane-1' }]);
});

test('config defaults to the simulator and names a bad key', async () => {
  assert.equal(scannerConfigSchema.parse(undefined), { driver: 'sim', source: 'sim' });
  const bad = scannerConfigSchema.safeParse({ driver: 'sim', source: '' });
  assert.equal(bad.error?.issues[0]?.path, ['source']);
  const scanner = await createScanner({ driver: 'sim' });
  assert.instance(scanner, SimScanner);
});

test.run();
