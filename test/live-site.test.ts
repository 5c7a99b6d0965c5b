import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { desc } from 'drizzle-orm';
import { auditLog } from '../cloud/db/schema/index.ts';
import { recordRefusals } from '../cloud/devices/service.ts';
import { ADULT, api, login, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { must } from './support/office.ts';
import { provision } from './support/provision.ts';

/**
 * The control room's screen through the API: the figures equal the gates' entries minus
 * exits, the event stream pushes a gate's reported mode, mode orders carry a reason into
 * the audit chain, a venue (lane group) switches all its gates, alarms are acknowledged.
 */
const cloud = await startTestCloud();
const u = cloud.url;
const gates: TestGate[] = [];
let sup = '';

test.before(async () => {
  must(await api(u, '/api/v1/sites/demo/lanes/east', { method: 'PUT', body: { directions: ['in', 'out'] } }), 200);
  await provision(u, 'demo', [{ device: 'gate-e', lanes: ['east'] }, { device: 'gate-w', lanes: ['west'] }]);
  for (const device of ['gate-e', 'gate-w']) gates.push(await startTestGate({ device, lane: device === 'gate-e' ? 'east' : 'west', cloudUrl: u, mqttUrl: cloud.mqttUrl }));
  must(await api(u, '/api/v1/users', { body: { username: 'sup', displayName: '值班主管', roles: ['supervisor'], password: 'sup-password' } }), 201);
  sup = await login(u, 'sup', 'sup-password');
});
test.after(async () => {
  for (const g of gates) await g.cleanup();
  await cloud.cleanup();
});

/** Reads server-sent events from the stream until `until` says stop (or the time runs out). */
async function readEvents(path: string, token: string, until: (ev: { event: string; data: any }) => boolean, timeoutMs = 8000) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const res = await fetch(u + path, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', 'text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: { event: string; data: any }[] = [];
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n');
        if (!event) continue;
        const ev = { event, data: JSON.parse(data) };
        seen.push(ev);
        if (until(ev)) return seen;
      }
    }
  } catch (err) {
    if (!ctl.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return seen;
}

test('the in-park count is the entries minus the exits of the gates; entries by hour and sales by channel beside it', async () => {
  must(await api(u, '/api/v1/ticket-types', { body: ADULT }), 201);
  const sale = must(await api(u, '/api/v1/sales', { body: { type: 'adult', quantity: 3 } }), 201);
  const codes: string[] = sale.tickets.map((t: { code: string }) => t.code);
  const [east, west] = gates;
  await waitFor('tickets at the gates', () => east!.agent.evaluate(codes[0]!).verdict.admit && west!.agent.evaluate(codes[2]!).verdict.admit);
  assert.ok((await east!.agent.present(codes[0]!)).admit);
  assert.ok((await east!.agent.present(codes[1]!)).admit);
  assert.ok((await west!.agent.present(codes[2]!)).admit);
  assert.ok((await east!.agent.present(codes[0]!, { direction: 'out' })).admit, 'one visitor leaves by the east lane');
  const live = await waitFor('entries at HQ', async () => {
    const r = must(await api(u, '/api/v1/live/demo', { token: sup }), 200);
    return r.summary.venues.find((v: any) => v.venue === 'main')?.personsOut === 1 && r.summary.venues[0].personsIn === 3 ? r : undefined;
  });
  assert.is(live.summary.inPark, 2, '3 in, 1 out');
  assert.is(live.summary.hours.today.reduce((a: number, b: number) => a + b, 0), 3);
  assert.is(live.summary.hours.lastWeek.length, 24);
  // The administrator's plain sale: the ledger books it as a window order or a direct sale.
  assert.is(live.summary.sales.reduce((n: number, s: any) => n + s.grossFen, 0), 36000);
  assert.ok(live.summary.sales.every((s: any) => s.channelName && !/^[a-z_]+$/.test(s.channelName)), 'channels by their names');
  assert.equal(live.devices.map((d: any) => d.device), ['gate-e', 'gate-w']);
});

test('a gate order with a reason is audited, and the gate\'s reported mode arrives on the stream', async () => {
  const noReason = await api(u, '/api/v1/sites/demo/devices/gate-e/mode', { method: 'PUT', token: sup, body: { mode: 'closed', reason: '' } });
  assert.is(noReason.status, 400, 'an empty reason is refused');
  const t0 = Date.now();
  must(await api(u, '/api/v1/sites/demo/devices/gate-e/mode', { method: 'PUT', token: sup, body: { mode: 'closed', reason: '东门检修' } }), 200);
  const seen = await readEvents('/api/v1/live/demo/stream', sup, (ev) => ev.event === 'devices' && ev.data.find((d: any) => d.device === 'gate-e')?.reported?.mode === 'closed');
  const last = seen.at(-1)!;
  assert.is(last.data.find((d: any) => d.device === 'gate-e').reported.mode, 'closed', `events: ${seen.map((e) => e.event)}`);
  process.stdout.write(`gate-e reported closed on the stream ${Date.now() - t0} ms after the order\n`);
  assert.ok(Date.now() - t0 < 4000);
  assert.is(gates[0]!.agent.mode, 'closed');
  const [rec] = await cloud.ctx!.db.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  assert.is(rec!.action, 'mode');
  assert.is(rec!.actor, 'sup');
  assert.is(rec!.subject, 'demo/gate-e');
  assert.equal((rec!.body as any).reason, '东门检修');
});

test('a venue (lane group) switches every gate serving its lanes; the site order then wins over both', async () => {
  const r = must(await api(u, '/api/v1/sites/demo/venues/main/mode', { method: 'PUT', token: sup, body: { mode: 'emergency', reason: '消防演练' } }), 200);
  assert.equal(r.items.map((i: any) => i.device), ['gate-e', 'gate-w']);
  await waitFor('both gates in emergency', () => gates.every((g) => g.agent.mode === 'emergency') || undefined, 5000, 50);
  must(await api(u, '/api/v1/sites/demo/mode', { method: 'PUT', token: sup, body: { mode: 'normal', reason: '演练结束' } }), 200);
  await waitFor('both gates back to normal', () => gates.every((g) => g.agent.mode === 'normal') || undefined, 5000, 50);
  const unknown = await api(u, '/api/v1/sites/demo/venues/nowhere/mode', { method: 'PUT', token: sup, body: { mode: 'closed', reason: 'x' } });
  assert.is(unknown.status, 404);
  const recent = await cloud.ctx!.db.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(3);
  assert.equal(recent.map((a) => [a.subject, (a.body as any).scope]), [['demo/*', null], ['demo/gate-w', 'venue:main'], ['demo/gate-e', 'venue:main']]);
});

test('an alarm is acknowledged as it stands and comes back when it grows', async () => {
  const ctx = cloud.ctx!;
  await recordRefusals(ctx.db, 'demo', 'gate-w', 'entry', 2, { reason: 'foreign_lane', at: Date.now() });
  const none = await api(u, '/api/v1/sites/demo/devices/gate-e/alarms/entries_refused/ack', { token: sup, body: {} });
  assert.is(none.status, 409);
  assert.match(none.body.error.message, '没有这条告警');
  const acked = must(await api(u, '/api/v1/sites/demo/devices/gate-w/alarms/entries_refused/ack', { token: sup, body: { note: '已通知现场' } }), 200);
  assert.is(acked.alarms[0].ack.by, 'sup');
  assert.is(acked.alarms[0].ack.note, '已通知现场');
  await recordRefusals(ctx.db, 'demo', 'gate-w', 'entry', 1, { reason: 'foreign_lane', at: Date.now() });
  const again = must(await api(u, '/api/v1/sites/demo/devices/gate-w', { token: sup }), 200);
  assert.is(again.alarms[0].count, 3);
  assert.is(again.alarms[0].ack, undefined, 'more refusals: the alarm is open again');
  const [rec] = await ctx.db.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  assert.is(rec!.action, 'alarm_ack');
});

test('marketing reads the sales reports; the live screen is the supervisor\'s', async () => {
  must(await api(u, '/api/v1/users', { body: { username: 'mkt', displayName: '市场部', roles: ['marketing'], password: 'mkt-password' } }), 201);
  const mkt = await login(u, 'mkt', 'mkt-password');
  must(await api(u, '/api/v1/reports/sales-by-channel', { token: mkt }), 200);
  assert.is((await api(u, '/api/v1/live/demo', { token: mkt })).status, 403);
});

test.run();
