/**
 * Sites, venues, lanes and devices are records: every endpoint that names one refuses a name
 * HQ does not know with a 404 and a message in Chinese and English, and writes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openHq, type Hq } from './support/hq.ts';

let hq: Hq;
let ticketId: string;

test.before(async () => {
  hq = await openHq();
  const ok = (r: { status: number; body: unknown }, status = 201) => assert.is(r.status, status, JSON.stringify(r.body));
  ok(await hq.req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 }));
  ok(await hq.req('POST', '/api/v1/ticket-types', { code: 'annual', name: '年卡', priceFen: 36000, validityDays: 365, entries: 0, persons: 1, rules: { kind: 'member' } }));
  ok(await hq.req('PUT', '/api/v1/sites/demo/lanes/lane-1', {}), 200);
  ok(await hq.req('PUT', '/api/v1/sites/demo/devices/gate-1', { role: 'gate', lanes: ['lane-1'] }), 200);
  const sale = await hq.req('POST', '/api/v1/sales', { type: 'adult', quantity: 1 });
  ok(sale);
  ticketId = sale.body.tickets[0].id;
});

const unknownSite = 'nosuchsite';

/** The name each refusal must repeat, in Chinese (the default) and in English. */
const CASES: [what: string, method: string, path: string, body: unknown, code: string, name: string][] = [
  ['a sale', 'POST', '/api/v1/sales', { type: 'adult', quantity: 1, site: 'nosuchsite' }, 'unknown_site', unknownSite],
  ['a window order', 'POST', '/api/v1/orders', { site: 'nosuchsite', lines: [{ type: 'adult', quantity: 1 }], payments: [] }, 'unknown_site', unknownSite],
  ['a member card', 'POST', '/api/v1/members/cards', { site: 'nosuchsite', type: 'annual', kind: 'annual', member: { name: '张三', phone: '13800000001' } }, 'unknown_site', unknownSite],
  ['a channel', 'POST', '/api/v1/channels/admin', { code: 'x1', name: 'x', kind: 'ota', dailyQuota: 1, cancelCutoffMinutes: 0, site: 'nosuchsite' }, 'unknown_site', unknownSite],
  ['a report', 'GET', '/api/v1/reports/entries-by-gate?from=2026-10-01&to=2026-10-31&site=nosuchsite', undefined, 'unknown_site', unknownSite],
  ['a site', 'GET', '/api/v1/sites/nosuchsite', undefined, 'unknown_site', unknownSite],
  ['a site change', 'PATCH', '/api/v1/sites/nosuchsite', { name: 'x' }, 'unknown_site', unknownSite],
  ['venues', 'GET', '/api/v1/sites/nosuchsite/venues', undefined, 'unknown_site', unknownSite],
  ['a venue', 'PUT', '/api/v1/sites/nosuchsite/venues/garden', { name: '园中园' }, 'unknown_site', unknownSite],
  ['lanes', 'GET', '/api/v1/sites/nosuchsite/lanes', undefined, 'unknown_site', unknownSite],
  ['a lane', 'GET', '/api/v1/sites/demo/lanes/nolane', undefined, 'unknown_lane', 'nolane'],
  ['a lane\'s rules', 'PUT', '/api/v1/sites/nosuchsite/lanes/lane-1', {}, 'unknown_site', unknownSite],
  ['a lane into a venue', 'PUT', '/api/v1/sites/demo/lanes/lane-9', { venue: 'novenue' }, 'unknown_venue', 'novenue'],
  ['devices of a site', 'GET', '/api/v1/sites/nosuchsite/devices', undefined, 'unknown_site', unknownSite],
  ['a device', 'GET', '/api/v1/sites/demo/devices/gate-9', undefined, 'unknown_device', 'demo/gate-9'],
  ['a device provisioned at a site', 'PUT', '/api/v1/sites/nosuchsite/devices/gate-1', { role: 'gate', lanes: ['lane-1'] }, 'unknown_site', unknownSite],
  ['a device for a lane', 'PUT', '/api/v1/sites/demo/devices/gate-2', { role: 'gate', lanes: ['nolane'] }, 'unknown_lane', 'nolane'],
  ['a site\'s mode', 'PUT', '/api/v1/sites/nosuchsite/mode', { mode: 'closed' }, 'unknown_site', unknownSite],
  ['a device\'s mode', 'PUT', '/api/v1/sites/demo/devices/gate-9/mode', { mode: 'closed' }, 'unknown_device', 'demo/gate-9'],
  ['a command', 'POST', '/api/v1/sites/demo/devices/gate-9/commands', { name: 'open-once' }, 'unknown_device', 'gate-9'],
  ['commands of a device', 'GET', '/api/v1/sites/demo/devices/gate-9/commands', undefined, 'unknown_device', 'gate-9'],
  ['a device credential', 'POST', '/api/v1/device-credentials', { site: 'demo', device: 'gate-9', role: 'gate' }, 'unknown_device', 'gate-9'],
  ['a device credential at a site', 'POST', '/api/v1/device-credentials', { site: 'nosuchsite', device: 'gate-1', role: 'gate' }, 'unknown_site', unknownSite],
  ['a credential explained', 'POST', '/api/v1/tickets/explain', { kind: 'card', value: '04A1B2C3', site: 'nosuchsite', lane: 'lane-1' }, 'unknown_site', unknownSite],
  ['a credential explained at a lane', 'POST', '/api/v1/tickets/explain', { kind: 'card', value: '04A1B2C3', lane: 'nolane' }, 'unknown_lane', 'nolane'],
  ['the change log', 'GET', '/api/v1/sync/changes?site=nosuchsite', undefined, 'unknown_site', unknownSite],
  ['the digest', 'GET', '/api/v1/sync/digest?site=nosuchsite&after=0', undefined, 'unknown_site', unknownSite],
];

const ZH = { unknown_site: '站点不存在', unknown_venue: '园区不存在', unknown_lane: '通道不存在', unknown_device: '设备不存在' } as Record<string, string>;

test('every endpoint that names a site, venue, lane or device: 404 for one HQ does not know, with a message in both languages', async () => {
  const en = { authorization: `Bearer ${await hq.userToken('admin-en', ['administrator'])}`, 'accept-language': 'en' };
  for (const [what, method, path, body, code, name] of CASES) {
    const r = await hq.req(method, path, body);
    assert.is(r.status, 404, `${what}: ${JSON.stringify(r.body)}`);
    assert.is(r.body.error.code, code, what);
    assert.ok(r.body.error.message.startsWith(`${ZH[code]}：`) && r.body.error.message.includes(name), `${what}: ${r.body.error.message}`);
    const e = await hq.req(method, path, body, en);
    assert.is(e.status, 404, `${what} (en)`);
    assert.ok(e.body.error.message.startsWith(`Unknown ${code.slice('unknown_'.length)}: `) && e.body.error.message.includes(name), `${what} (en): ${e.body.error.message}`);
  }
  const explain = await hq.req('GET', `/api/v1/tickets/${ticketId}/explain?lane=nolane`);
  assert.is(explain.status, 404, 'explain at a lane the ticket\'s site does not have');
  assert.is(explain.body.error.code, 'unknown_lane');
});

test('nothing was written by the refused calls', async () => {
  const sites = (await hq.req('GET', '/api/v1/sites')).body.items.map((s: { id: string }) => s.id);
  assert.equal(sites, ['demo']);
  const devices = (await hq.req('GET', '/api/v1/devices')).body.items.map((d: { device: string }) => d.device);
  assert.equal(devices, ['gate-1']);
  const lanes = (await hq.req('GET', '/api/v1/sites/demo/lanes')).body.items.map((l: { lane: string }) => l.lane);
  assert.equal(lanes, ['lane-1']);
});

test('a known site, lane and device answer', async () => {
  assert.is((await hq.req('GET', '/api/v1/sites/demo')).status, 200);
  assert.is((await hq.req('GET', '/api/v1/sites/demo/lanes/lane-1')).status, 200);
  const gate = await hq.req('GET', '/api/v1/sites/demo/devices/gate-1');
  assert.is(gate.status, 200);
  assert.equal([gate.body.role, gate.body.lanes], ['gate', ['lane-1']]);
  assert.is((await hq.req('PUT', '/api/v1/sites/demo/devices/gate-1/mode', { mode: 'closed' })).status, 200);
  const explained = await hq.req('GET', `/api/v1/tickets/${ticketId}/explain?lane=lane-1`);
  assert.equal([explained.body.mode, explained.body.device, explained.body.verdict.reason], ['closed', 'gate-1', 'closed'], 'explain takes the mode of the gate that serves the lane');
  assert.is((await hq.req('PUT', '/api/v1/sites/demo/lanes/lane-2', {})).status, 200);
  const other = await hq.req('GET', `/api/v1/tickets/${ticketId}/explain?lane=lane-2`);
  assert.equal([other.body.mode, other.body.verdict.admit], ['normal', true], 'another lane is not closed by gate-1\'s order');
  const taken = await hq.req('PUT', '/api/v1/sites/demo/devices/gate-2', { role: 'gate', lanes: ['lane-1'] });
  assert.equal([taken.status, taken.body.error.code], [409, 'lane_taken'], 'a lane has one gate');
});

test.after(async () => {
  await hq.close();
});

test.run();
