import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADULT, api, login, startTestCloud, TEST_ADMIN_PASSWORD } from '../../test/support/cloud.ts';
import { zbarDecode } from '../../test/support/zbar.ts';
import { readChanges } from '../sync/changes.ts';

const LAYOUT = {
  paper: 80,
  elements: [
    { kind: 'field', field: 'siteName', align: 'center', width: 2, height: 2 },
    { kind: 'field', field: 'typeName', label: '票种：' },
    { kind: 'field', field: 'validDates', label: '有效期：' },
    { kind: 'qr', moduleSize: 6, align: 'center', y: 200 },
  ],
};

const cloud = await startTestCloud();
const base = cloud.url;
const token = await login(base, 'admin', TEST_ADMIN_PASSWORD);

async function png(path: string, init: { body?: unknown } = {}): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(base + path, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

test('create, read, edit as new versions; every version reaches the change log', async () => {
  assert.is((await api(base, '/api/v1/ticket-types', { body: ADULT })).status, 201);
  const created = await api(base, '/api/v1/templates', { body: { code: 'adult-ticket', name: '成人票样式', type: 'adult', layout: LAYOUT } });
  assert.is(created.status, 201, JSON.stringify(created.body));
  assert.is(created.body.version, 1);
  assert.is(created.body.type, 'adult');
  assert.equal(created.body.layout.elements[3], { kind: 'qr', moduleSize: 6, ecc: 'M', align: 'center', y: 200 });

  const edited = await api(base, '/api/v1/templates/adult-ticket', { method: 'PUT', body: { layout: { ...LAYOUT, paper: 58 }, baseVersion: 1 } });
  assert.is(edited.status, 200, JSON.stringify(edited.body));
  assert.equal([edited.body.version, edited.body.name, edited.body.type, edited.body.layout.paper], [2, '成人票样式', 'adult', 58]);

  const stale = await api(base, '/api/v1/templates/adult-ticket', { method: 'PUT', body: { layout: LAYOUT, baseVersion: 1 } });
  assert.is(stale.status, 409);
  assert.is(stale.body.error.code, 'version_conflict');

  assert.is((await api(base, '/api/v1/templates/adult-ticket')).body.version, 2);
  assert.is((await api(base, '/api/v1/templates/adult-ticket?version=1')).body.layout.paper, 80);
  assert.equal((await api(base, '/api/v1/templates/adult-ticket/versions')).body.items.map((v: { version: number }) => v.version), [1, 2]);
  const list = await api(base, '/api/v1/templates');
  assert.equal(list.body.items.map((t: { code: string; version: number }) => [t.code, t.version]), [['adult-ticket', 2]]);

  const ctx = cloud.ctx!;
  const batch = await readChanges(ctx.db, { site: 'demo', since: 0, limit: 100, now: ctx.now(), logId: ctx.changeLog });
  const templates = batch.changes.filter((c) => c.kind === 'template');
  assert.equal(templates.map((c) => c.kind === 'template' && [c.code, c.version, c.layout.paper, c.typeId !== null]), [['adult-ticket', 1, 80, true], ['adult-ticket', 2, 58, true]]);
});

test('preview: PNG for a sample and for a sold ticket, whose QR decodes to its code', async () => {
  const sample = await png('/api/v1/templates/adult-ticket/preview.png?version=1');
  assert.is(sample.status, 200);
  assert.is(sample.type, 'image/png');
  assert.ok((await zbarDecode(sample.body)).includes('SAMPLE0TICKET0CODE0NOT0VALID0AT0ANY0GATE'));

  const sale = await api(base, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } });
  const ticket = sale.body.tickets[0];
  const real = await png(`/api/v1/templates/adult-ticket/preview.png?ticket=${ticket.id}`);
  assert.is(real.status, 200);
  assert.equal(await zbarDecode(real.body), [ticket.code]);

  const unsaved = await png('/api/v1/templates/preview.png', { body: { layout: { elements: [{ kind: 'qr', moduleSize: 4 }] }, ticket: ticket.id } });
  assert.is(unsaved.status, 200);
  assert.equal(await zbarDecode(unsaved.body), [ticket.code]);
});

test('bad input: 400 with the key named, 404, 409, 422 for what cannot print; nothing written', async () => {
  const bad = await api(base, '/api/v1/templates', { body: { code: 'x', name: 'x', layout: { elements: [{ kind: 'qr', moduleSize: 99 }] } } });
  assert.is(bad.status, 400);
  assert.is(bad.body.error.code, 'invalid_request');
  assert.ok(bad.body.error.issues.some((i: { path: string }) => i.path === 'layout.elements.0.moduleSize'));
  assert.is((await api(base, '/api/v1/templates', { body: '{not json' })).body.error.code, 'invalid_json');
  assert.is((await api(base, '/api/v1/templates', { body: { code: 'Bad Code', name: 'x', layout: LAYOUT } })).status, 400);
  assert.is((await api(base, '/api/v1/templates', { body: { code: 'x', name: 'x', type: 'nosuch', layout: LAYOUT } })).body.error.code, 'unknown_type');
  assert.is((await api(base, '/api/v1/templates', { body: { code: 'adult-ticket', name: 'again', layout: LAYOUT } })).status, 409);
  const wide = await api(base, '/api/v1/templates', { body: { code: 'wide', name: 'wide', layout: { paper: 58, elements: [{ kind: 'barcode', source: 'ticketId', moduleWidth: 4 }] } } });
  assert.equal([wide.status, wide.body.error.code], [422, 'template_too_wide']);
  assert.is((await api(base, '/api/v1/templates/wide')).status, 404, 'a refused template is not stored');
  assert.is((await api(base, '/api/v1/templates/nosuch', { method: 'PUT', body: { layout: LAYOUT } })).status, 404);
  assert.is((await api(base, '/api/v1/templates/adult-ticket?version=9')).status, 404);
  assert.is((await api(base, '/api/v1/templates/adult-ticket/preview.png?ticket=not-a-uuid')).status, 400);
  assert.is((await api(base, '/api/v1/templates/adult-ticket/preview.png?ticket=01936f3e-7a2b-7c4d-8e5f-a1b2c3d4e5f6')).status, 404);
  const noBarcode = await api(base, '/api/v1/templates/preview.png', { body: { layout: { elements: [{ kind: 'barcode', source: 'barcode' }] }, ticket: (await api(base, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } })).body.tickets[0].id } });
  assert.equal([noBarcode.status, noBarcode.body.error.code], [422, 'template_no_value']);
  assert.is((await api(base, '/api/v1/templates', { token: null })).status, 401);
  // A layout that would cost too much to draw is refused at once, on save and on preview.
  const heavy = { elements: Array.from({ length: 60 }, () => ({ kind: 'text', text: '景'.repeat(200), width: 4, height: 4 })) };
  const t0 = Date.now();
  const previewed = await api(base, '/api/v1/templates/preview.png', { body: { layout: heavy } });
  const saved = await api(base, '/api/v1/templates', { body: { code: 'heavy', name: 'heavy', layout: heavy } });
  assert.equal([previewed.status, previewed.body.error.code, saved.status, saved.body.error.code], [422, 'template_too_much_text', 422, 'template_too_much_text']);
  assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
});

test.after(async () => {
  await cloud.cleanup();
});

test.run();
