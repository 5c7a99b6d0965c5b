import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { bearer } from '../auth/middleware.ts';
import { accessTable } from '../auth/policy.ts';
import { PERMISSIONS, ROLES, type AuthUser } from '../auth/roles.ts';
import { createUser, login, loginRequest, logout, newUser, updateUser, userPatch } from '../auth/service.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { getGrants } from '../office/setup.ts';
import { searchUsers, userView, usersPage, usersQuery } from '../search/users.ts';

export const authUserView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.enum(ROLES)),
  permissions: z.array(z.enum(PERMISSIONS)),
}).meta({ id: 'AuthUser' });
const loginView = z.object({ token: z.string(), expiresAt: z.string(), user: authUserView }).meta({ id: 'Login' });
const userId = z.object({ id: z.string() });
const accessView = z.object({
  rules: z.array(z.object({ prefix: z.string(), methods: z.union([z.array(z.string()), z.literal('*')]), allowed: z.boolean() })),
}).meta({ id: 'Access' });

const myGrantsView = z.object({
  all: z.boolean().describe('An administrator sells every active type with every discount'),
  types: z.array(z.string()), discounts: z.array(z.string()),
}).meta({ id: 'MyGrants' });

async function myGrants(ctx: CloudContext, user: AuthUser) {
  if (user.roles.includes('administrator')) return { all: true, types: [], discounts: [] };
  if (!user.roles.includes('seller')) return { all: false, types: [], discounts: [] };
  const g = await getGrants(ctx, user.id);
  return { all: false, types: g.types, discounts: g.discounts };
}

export function authRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .post('/login', endpoint({ summary: '登录 / log in: a bearer token for 12 hours', body: loginRequest, responses: { 200: loginView } }),
      async (c) => c.json(await login(ctx.db, c.req.valid('json'), ctx.now())))
    .post('/logout', endpoint({ summary: '退出登录 / end this token\'s session', responses: { 200: z.object({ ok: z.boolean() }) }, signedIn: true }),
      async (c) => {
        await logout(ctx.db, bearer(c)!, ctx.now());
        return c.json({ ok: true });
      })
    .get('/me', endpoint({ summary: '当前用户 / who the token belongs to', responses: { 200: authUserView }, signedIn: true }),
      (c) => c.json(c.get('user')))
    // What this user may call: the policy table with a verdict per entry, for the app's menus.
    .get('/access', endpoint({ summary: '权限表 / the access policy with this user\'s verdict per entry', responses: { 200: accessView }, signedIn: true }),
      (c) => c.json({ rules: accessTable(c.get('user').roles) }))
    // What this user may sell at a window: the ticket types and discounts granted (all for an administrator).
    .get('/grants', endpoint({ summary: '我的售票授权 / ticket types and discounts this user may sell', responses: { 200: myGrantsView }, signedIn: true }),
      async (c) => c.json(await myGrants(ctx, c.get('user'))));
}

export function userRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '用户列表 / users, searched and paged', query: usersQuery, responses: { 200: usersPage } }),
      async (c) => c.json(await searchUsers(ctx, c.req.valid('query'))))
    .post('/', endpoint({ summary: '新建用户 / a new user', body: newUser, responses: { 201: userView } }),
      async (c) => c.json(await createUser(ctx.db, c.req.valid('json')), 201))
    .patch('/:id', endpoint({ summary: '修改用户 / change a user; active: false ends their sessions', params: userId, body: userPatch, responses: { 200: userView } }),
      async (c) => c.json(await updateUser(ctx.db, c.req.valid('param').id, c.req.valid('json'))));
}
