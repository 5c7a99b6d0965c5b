import { Hono } from 'hono';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../shared/log/logger.ts';
import { refuseControlChars } from './control-chars.ts';
import { errorHandler, jsonBody } from './errors.ts';

// One route that echoes what it read, behind the same middleware and error handler as the API.
const app = new Hono()
  .use('*', refuseControlChars())
  .post('/things/:name', async (c) => c.json({ name: c.req.param('name'), q: c.req.query(), body: await jsonBody(c) }));
app.onError(errorHandler(silentLogger));

const post = (path: string, body: unknown) =>
  app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

test('a control character anywhere in a JSON body is a 400 naming the field', async () => {
  const res = await post('/things/a', { lines: [{ type: 'adult' }, { note: '备注\u0000' }] });
  assert.is(res.status, 400);
  const { error } = (await res.json()) as { error: { code: string; message: string; details: Record<string, string> } };
  assert.is(error.code, 'control_character');
  assert.equal(error.details, { where: 'body', field: 'lines.1.note', char: 'U+0000' });
  assert.match(error.message, /“lines\.1\.note”含有不可见的控制字符 \(U\+0000\)/);
});

test('escape, DEL, C1 and lone surrogates are refused; keys too; line breaks and tabs in text pass', async () => {
  for (const bad of ['\u001b[2J', 'a\u007f', 'a\u0085', 'a\ud800']) {
    assert.is((await post('/things/a', { name: bad })).status, 400, JSON.stringify(bad));
  }
  // Raw JSON, as a client would send it: an escaped NUL in a key.
  const key = await post('/things/a', '{"counted":{"ca\\u0000sh":1}}');
  assert.is(key.status, 400);
  assert.equal(((await key.json()) as any).error.details.field, 'counted.ca\ufffdsh');
  const ok = await post('/things/a', { note: '第一行\n第二行\t完' });
  assert.is(ok.status, 200);
  assert.equal(((await ok.json()) as any).body, { note: '第一行\n第二行\t完' });
});

test('path segments and query values are one line: any control character is a 400', async () => {
  const path = await post('/things/a%00b', {});
  assert.is(path.status, 400);
  assert.equal(((await path.json()) as any).error.details, { where: 'path', field: '', char: 'U+0000' });
  const query = await post('/things/a?type=x%0Ay', {});
  assert.is(query.status, 400);
  assert.equal(((await query.json()) as any).error.details, { where: 'query', field: 'type', char: 'U+000A' });
  assert.is((await post('/things/%E6%88%90%E4%BA%BA?type=%E6%88%90', {})).status, 200);
});

test('a body that is not JSON stays a 400 invalid_json', async () => {
  const res = await post('/things/a', '{"a":');
  assert.is(res.status, 400);
  assert.is(((await res.json()) as any).error.code, 'invalid_json');
});

test.run();
