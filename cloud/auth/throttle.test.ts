import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDb, type OpenDb } from '../db/open.ts';
import { AppError } from '../http/errors.ts';
import { freshCloudDataDir } from '../../test/support/pglite.ts';
import { LoginThrottle } from './throttle.ts';

let dir: string;
let opened: OpenDb;
test.before(async () => {
  dir = await freshCloudDataDir();
  opened = await openDb({ pgliteDir: join(dir, 'pglite') });
});
test.after(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

const MIN = 60_000;
const limits = { accountMaxFailures: 3, addressMaxFailures: 5, windowMs: 15 * MIN, lockoutMs: 10 * MIN };
const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: AppError) => `${e.status} ${e.code}`);

test('locks an account at its limit, until the lockout ends; the name\'s case does not matter', async () => {
  const th = new LoginThrottle(opened.db, limits);
  const t0 = Date.UTC(2026, 4, 1, 8);
  for (let i = 0; i < 2; i++) await th.failed('Alice', '10.0.0.1', t0 + i);
  assert.is(await code(th.check('alice', '10.0.0.2', t0 + 10)), 'ok', 'two wrong: not yet');
  await th.failed('alice', '10.0.0.3', t0 + 20);
  assert.is(await code(th.check('ALICE', '10.0.0.2', t0 + 30)), '429 account_locked');
  assert.is(await code(th.check('bob', '10.0.0.2', t0 + 30)), 'ok', 'another account is not locked');
  assert.is(await code(th.check('alice', '10.0.0.2', t0 + 20 + limits.lockoutMs + 1)), 'ok', 'the lockout ends by itself');
});

test('counts within the window only; a right password clears the account, not the address', async () => {
  const th = new LoginThrottle(opened.db, limits);
  const t0 = Date.UTC(2026, 4, 2, 8);
  await th.failed('carol', '10.1.0.1', t0);
  await th.failed('carol', '10.1.0.1', t0 + 1);
  await th.failed('carol', '10.1.0.1', t0 + limits.windowMs + 5); // the first two are stale: starts again at 1
  assert.is(await code(th.check('carol', '10.9.9.9', t0 + limits.windowMs + 6)), 'ok');
  await th.failed('carol', '10.1.0.1', t0 + limits.windowMs + 7);
  await th.succeeded('carol');
  await th.failed('carol', '10.1.0.1', t0 + limits.windowMs + 8);
  assert.is(await code(th.check('carol', '10.9.9.9', t0 + limits.windowMs + 9)), 'ok', 'the count started again after the right password');
  await th.failed('dave', '10.1.0.1', t0 + limits.windowMs + 10);
  assert.is(await code(th.check('erin', '10.1.0.1', t0 + limits.windowMs + 11)), 'ok', '4 from the address since its window began again');
  await th.failed('dave', '10.1.0.1', t0 + limits.windowMs + 12);
  assert.is(await code(th.check('erin', '10.1.0.1', t0 + limits.windowMs + 13)), '429 too_many_attempts', 'the address reached 5 across accounts');
});

test('concurrent wrong passwords are all counted; lifting forgets the count', async () => {
  const th = new LoginThrottle(opened.db, { ...limits, accountMaxFailures: 20, addressMaxFailures: 1000 });
  const t0 = Date.UTC(2026, 4, 3, 8);
  await Promise.all(Array.from({ length: 20 }, (_, i) => th.failed('frank', `10.2.0.${i}`, t0)));
  assert.is(await code(th.check('frank', '10.2.1.1', t0 + 1)), '429 account_locked', 'all 20 counted');
  const locked = await th.locked(t0 + 1);
  assert.ok(locked.some((l) => l.kind === 'account' && l.subject === 'frank' && l.failures === 20));
  assert.is(await th.lift('account', 'Frank'), true);
  assert.is(await code(th.check('frank', '10.2.1.1', t0 + 2)), 'ok');
  assert.is(await th.lift('account', 'frank'), false, 'nothing left to lift');
});

test.run();
