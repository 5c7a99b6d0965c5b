import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { bearer, userOf } from '../auth/middleware.ts';
import { createUser, listUsers, login, loginRequest, logout, newUser, updateUser, userPatch } from '../auth/service.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { clientAddress } from '../http/client-address.ts';
import { LoginThrottle } from '../auth/throttle.ts';
import type { CloudConfig } from '../config.ts';
import { z } from 'zod';

const throttleOf = (ctx: CloudContext) => new LoginThrottle(ctx.db, throttleLimits(ctx.config));

export const throttleLimits = (c: CloudConfig) => ({
  accountMaxFailures: c.loginMaxFailures, addressMaxFailures: c.loginAddressMaxFailures,
  windowMs: c.loginWindowMinutes * 60_000, lockoutMs: c.loginLockoutMinutes * 60_000,
});

export function authRoutes(ctx: CloudContext) {
  const throttle = throttleOf(ctx);
  return new Hono()
    .post('/login', async (c) => {
      const input = loginRequest.parse(await jsonBody(c));
      const address = clientAddress(c);
      await throttle.check(input.username, address, ctx.now());
      try {
        const session = await login(ctx.db, input, ctx.now());
        await throttle.succeeded(input.username);
        return c.json(session);
      } catch (err) {
        if (err instanceof AppError && err.code === 'invalid_credentials') {
          await throttle.failed(input.username, address, ctx.now());
          ctx.log.warn({ username: input.username.slice(0, 64), address }, 'wrong password');
        }
        throw err;
      }
    })
    .post('/logout', async (c) => {
      await logout(ctx.db, bearer(c)!, ctx.now());
      return c.json({ ok: true });
    })
    .get('/me', (c) => c.json(userOf(c)));
}

const lockKind = z.enum(['account', 'address']);

export function userRoutes(ctx: CloudContext) {
  const throttle = throttleOf(ctx);
  return new Hono()
    .get('/', async (c) => c.json({ items: await listUsers(ctx.db) }))
    // Login lockouts: which accounts and addresses are locked now; an administrator lifts one.
    .get('/lockouts', async (c) => c.json({ items: await throttle.locked(ctx.now()) }))
    .delete('/lockouts/:kind/:subject', async (c) => {
      const kind = lockKind.parse(c.req.param('kind'));
      const subject = c.req.param('subject');
      if (!(await throttle.lift(kind, subject))) throw new AppError('not_found', `no login failures recorded for ${kind} ${subject}`, 404);
      ctx.log.info({ kind, subject }, 'login lockout lifted');
      return c.json({ lifted: true, kind, subject });
    })
    .post('/', async (c) => c.json(await createUser(ctx.db, newUser.parse(await jsonBody(c))), 201))
    .patch('/:id', async (c) => c.json(await updateUser(ctx.db, c.req.param('id'), userPatch.parse(await jsonBody(c)))));
}
