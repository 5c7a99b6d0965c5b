import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appFilesHandler } from './app-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'app-files-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>票务</title><div id="app"></div>');
writeFileSync(join(dir, 'assets', 'index-3f9a1c.js'), 'console.log(1)');
writeFileSync(join(dir, 'favicon.svg'), '<svg/>');

const app = new Hono()
  .get('/api/v1/health', (c) => c.json({ ok: true }))
  .get('*', appFilesHandler(dir));
app.notFound((c) => c.json({ error: { code: 'not_found' } }, 404));
const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });

test('index.html at / and for every page path, revalidated with its ETag', async () => {
  const root = await get('/');
  assert.is(root.status, 200);
  assert.match(root.headers.get('content-type') ?? '', /text\/html/);
  assert.is(root.headers.get('cache-control'), 'no-cache');
  assert.match(await root.text(), /票务/);
  const tag = root.headers.get('etag');
  assert.ok(tag);
  const again = await get('/', { 'if-none-match': tag! });
  assert.is(again.status, 304);
  const page = await get('/finance/shifts');
  assert.is(page.status, 200);
  assert.match(await page.text(), /id="app"/);
  assert.is(page.headers.get('cache-control'), 'no-cache');
  assert.is((await app.request('/window/sell', { method: 'HEAD' })).status, 200);
});

test('built assets are cached for a year; a missing file is a 404, not the page', async () => {
  const js = await get('/assets/index-3f9a1c.js');
  assert.is(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.is(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.is((await get('/favicon.svg')).headers.get('cache-control'), 'no-cache');
  assert.is((await get('/assets/gone-123.js')).status, 404);
});

test('the API and paths outside the directory are never answered with files', async () => {
  assert.equal(await (await get('/api/v1/health')).json(), { ok: true });
  const api404 = await get('/api/v1/nope');
  assert.is(api404.status, 404);
  assert.equal(await api404.json(), { error: { code: 'not_found' } });
  for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fetc%2fpasswd']) {
    const r = await get(p);
    assert.not.match(await r.text(), /root:/, p);
  }
});

test('before the app is built: the API works, pages say how to build it', async () => {
  const empty = join(dir, 'not-built');
  const hq = new Hono().get('/api/v1/health', (c) => c.json({ ok: true })).get('*', appFilesHandler(empty));
  const page = await hq.request('/');
  assert.is(page.status, 503);
  assert.match(await page.text(), /npm run build:web/);
  assert.is((await hq.request('/api/v1/health')).status, 200);
  mkdirSync(empty);
  writeFileSync(join(empty, 'index.html'), '<title>built</title>');
  assert.match(await (await hq.request('/sell')).text(), /built/, 'served once built, without a restart');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
