import type { Context, MiddlewareHandler } from 'hono';
import type { CloudContext } from '../context.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { accessFor } from './policy.ts';
import type { Role } from './roles.ts';
import { authenticate } from './service.ts';

export function bearer(c: Context): string | undefined {
  const h = c.req.header('authorization');
  const m = h && /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

/**
 * Authorises every request under /api/v1 against the policy table (auth/policy.ts), mounted
 * once in the app. `base` is the mount point, stripped before the table is consulted.
 */
export function authorise(ctx: CloudContext, base: string): MiddlewareHandler<CloudEnv> {
  return async (c, next) => {
    const path = c.req.path.slice(base.length) || '/';
    const access = accessFor(path, c.req.method);
    if (access === 'public' || access === 'device') return next();
    const token = bearer(c);
    const user = token ? await authenticate(ctx.db, token, ctx.now()) : undefined;
    if (user) c.set('user', user);
    if (access === 'channel') return next();
    if (!user) {
      throw new AppError(token ? 'invalid_token' : 'unauthenticated', token ? '登录已失效，请重新登录 / session expired or invalid, log in again' : '请先登录 / log in first (Authorization: Bearer <token>)', 401);
    }
    if (!access) throw new AppError('forbidden', `no access rule for ${c.req.method} ${path}`, 403);
    if (!user.roles.some((r) => (access as readonly Role[]).includes(r))) {
      throw new AppError('forbidden', `无权操作 / your role may not ${c.req.method} ${path}`, 403, { roles: access });
    }
    return next();
  };
}
