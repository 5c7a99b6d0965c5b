import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { bearer, userOf } from '../auth/middleware.ts';
import { accessTable } from '../auth/policy.ts';
import { createUser, listUsers, login, loginRequest, logout, newUser, updateUser, userPatch } from '../auth/service.ts';
import { jsonBody } from '../http/errors.ts';

export function authRoutes(ctx: CloudContext) {
  return new Hono()
    .post('/login', async (c) => c.json(await login(ctx.db, loginRequest.parse(await jsonBody(c)), ctx.now())))
    .post('/logout', async (c) => {
      await logout(ctx.db, bearer(c)!, ctx.now());
      return c.json({ ok: true });
    })
    .get('/me', (c) => c.json(userOf(c)))
    // What this user may call: the policy table with a verdict per entry, for the app's menus.
    .get('/access', (c) => c.json({ rules: accessTable(userOf(c).roles) }));
}

export function userRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/', async (c) => c.json({ items: await listUsers(ctx.db) }))
    .post('/', async (c) => c.json(await createUser(ctx.db, newUser.parse(await jsonBody(c))), 201))
    .patch('/:id', async (c) => c.json(await updateUser(ctx.db, c.req.param('id'), userPatch.parse(await jsonBody(c)))));
}
