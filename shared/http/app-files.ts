import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { etag } from 'hono/etag';

/**
 * Serves a built single-page app (the back office, `web/dist`) from a directory: its files as
 * they are, and index.html for any other page path so the app's router takes it (a reload on
 * /finance/shifts works). Vite names the files under assets/ by their content, so they are
 * cached for a year; everything else (index.html) is revalidated every time with its ETag, so
 * a new build is seen at the next page load.
 */
const NOT_BUILT = '后台页面尚未构建：npm run build:web / the back office is not built: npm run build:web';

export function appFiles(dir: string): Hono {
  return new Hono()
    .use('*', async (c, next) => {
      await next();
      if (c.res.status !== 200 && c.res.status !== 304) return;
      c.header('Cache-Control', c.req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      c.header('X-Content-Type-Options', 'nosniff');
    })
    .use('*', etag())
    .get('*', serveStatic({ root: dir }))
    .get('*', async (c, next) => {
      // A file that is not there (a stale asset, a typo) is a 404; a page path is the app's.
      if (/\.[A-Za-z0-9]{1,8}$/.test(c.req.path)) return next();
      if (!existsSync(join(dir, 'index.html'))) {
        return c.text(NOT_BUILT, 503);
      }
      return serveStatic({ root: dir, path: 'index.html' })(c, next);
    });
}

/**
 * The app's files as a handler for a server whose API lives under /api: HQ mounts it after its
 * API (`app.get('*', appFilesHandler('web/dist'))`), and a site hub can do the same over its
 * own copy. Paths under /api/ are never answered here (the API's own 404 stays).
 */
export function appFilesHandler(dir: string): MiddlewareHandler {
  let files: Hono | undefined;
  return async (c, next) => {
    if (c.req.path === '/api' || c.req.path.startsWith('/api/')) return next();
    // Made once the directory is there: HQ may start before the app is built.
    if (!files && existsSync(dir)) files = appFiles(dir);
    if (files) return files.fetch(c.req.raw);
    return c.text(NOT_BUILT, 503);
  };
}
