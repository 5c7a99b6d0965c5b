import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteHub } from '../edge/hub/hub.ts';
import { parseCodeText } from '../shared/code/ticket-code.ts';
import { addDays, businessDay } from '../shared/time/zone.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { hubApi, hubConfigVia, openShiftsAndCut, stopHubSite, wanTo } from './support/hub.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;
const rows = async <T>(cloud: Cloud, q: ReturnType<typeof sql>) => ((await cloud.ctx!.db.execute(q)) as unknown as { rows: T[] }).rows;
type SlotRow = { from: string; quota: number; sold: number; soldWalkIn: number; remaining: number };
const slotsAt = async (cloud: Cloud, day: string) => must(await api(cloud.url, `/api/v1/slots/demo/main?day=${day}`), 200).items as SlotRow[];

/** Persons of live tickets bound to each slot of a day, at HQ. */
async function liveBySlot(cloud: Cloud, day: string): Promise<Record<string, number>> {
  const r = await rows<{ slot_from: string; n: number }>(cloud, sql`select s.slot_from, coalesce(sum(case when t.revoked_reason is null then ts.persons end), 0)::int n from time_slots s
    left join ticket_slots ts on ts.slot_id = s.id left join tickets t on t.id = ts.ticket_id where s.day = ${day} group by s.slot_from order by 1`);
  return Object.fromEntries(r.map((x) => [x.slot_from, x.n]));
}

/** The slot a code carries (a version 2 code: minutes after local midnight at bytes 38 and 40). */
function slotOfCode(code: string): [number, number] | undefined {
  const p = parseCodeText(code);
  if (!p.ok || p.bytes[0] !== 2) return undefined;
  return [p.bytes.readUInt16BE(38), p.bytes.readUInt16BE(40)];
}

test('slot leases: HQ and a hub with its WAN cut never sell a time slot past its quota together; the hub picks slots as HQ does, asks for more and gives back', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubslot-'));
  const wan = await wanTo(cloud);
  let hub: SiteHub | undefined;
  const config = (slotTarget: number) => hubConfigVia(dataDir, wan, { window: { syncIntervalMs: 200, lease: { target: 50, slotTarget, days: 2 } } });
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    const { sellers } = await seedOffice(cloud.url);
    const today = businessDay(Date.now(), 'Asia/Shanghai');
    const tomorrow = addDays(today, 1);
    // Tomorrow: two slots of 10 (2 kept for walk-ins); today: one all-day slot of 6.
    must(await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: tomorrow, toDay: tomorrow, start: '08:00', end: '16:00', everyMinutes: 240, quota: 10, walkIn: 2 } }), 200);
    must(await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: today, toDay: today, start: '00:00', end: '24:00', everyMinutes: 1440, quota: 6 } }), 200);
    hub = new SiteHub(config(3), testLog.child('hub'));
    await hub.start();
    const h = hub;

    // Line up: HQ leases the hub 3 places of each slot, counted in the slot at once.
    await waitFor('the hub holds its slot leases', () => (h.state().window?.leases ?? []).filter((l) => l.kind === 'slot' && l.left === 3).length === 3);
    await waitFor('and its key', () => h.state().window?.delegation);
    const atHq = must(await api(cloud.url, '/api/v1/hub-leases?site=demo'), 200).items as any[];
    assert.equal(atHq.map((l) => [l.kind, l.day, l.slot?.from, l.held, l.left]), [
      ['slot', today, '00:00', 3, 3], ['slot', tomorrow, '08:00', 3, 3], ['slot', tomorrow, '12:00', 3, 3],
    ]);
    assert.equal((await slotsAt(cloud, tomorrow)).map((s) => s.remaining), [7, 7], 'HQ sells only what the leases leave');
    // The ADSL drops. The hub's window sells by slot, as HQ's does.
    const hqSeller = sellers[1]!.token;
    const seller = await openShiftsAndCut(h, { cloudUrl: cloud.url, hqSeller, wan });
    const noSlot = await hubApi(h, '/orders', { token: seller, key: 'n', body: { visitDay: tomorrow, lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } });
    assert.is(noSlot.body.error?.code, 'slot_required', 'another day needs its slot named');
    const unknown = await hubApi(h, '/orders', { token: seller, key: 'u', body: { visitDay: tomorrow, slot: '09:00', lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } });
    assert.is(unknown.body.error?.code, 'slot_unknown');
    const a = must(await hubApi(h, '/orders', { token: seller, key: 'a', body: { visitDay: tomorrow, slot: '08:00', lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] } }), 201);
    const short = await hubApi(h, '/orders', { token: seller, key: 'b', body: { visitDay: tomorrow, slot: '08:00', lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] } });
    assert.is(short.status, 409);
    assert.is(short.body.error.code, 'lease_exhausted');
    assert.match(short.body.error.message, /站点可售余量不足：08:00-12:00/);
    // Today, no slot named: the slot under way.
    const c = must(await hubApi(h, '/orders', { token: seller, key: 'c', body: { lines: [{ type: 'child', quantity: 1, group: 'each' }], payments: [cash(6000)] } }), 201);
    // The codes carry the slot, so a gate holds visitors to it offline.
    assert.equal(slotOfCode(a.lines[0].tickets[0].code), [8 * 60, 12 * 60]);
    assert.equal(slotOfCode(c.lines[0].tickets[0].code), [0, 24 * 60]);

    // HQ's window sells the same slot meanwhile: it stops at what the hub's lease leaves.
    must(await api(cloud.url, '/api/v1/orders', { token: hqSeller, headers: { 'idempotency-key': 'hq-1' }, body: { visitDay: tomorrow, slot: '08:00', lines: [{ type: 'adult', quantity: 7 }], payments: [cash(7 * 12000)] } }), 201);
    const full = await api(cloud.url, '/api/v1/orders', { token: hqSeller, headers: { 'idempotency-key': 'hq-2' }, body: { visitDay: tomorrow, slot: '08:00', lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } });
    assert.is(full.body.error?.code, 'slot_full');

    // The line is back: the sales go up, bound to their slots; nothing over quota, nothing flagged.
    for (const l of wan) l.restore();
    await waitFor('HQ holds the hub\'s sales', () => h.state().window!.journal.pending === 0 && h.state().upstream, 20_000);
    let s = await slotsAt(cloud, tomorrow);
    assert.equal({ sold: s[0]!.sold + s[0]!.soldWalkIn, quota: s[0]!.quota }, { sold: 10, quota: 10 }, '7 at HQ + the hub\'s 3 held (2 sold, 1 in hand)');
    assert.equal(await liveBySlot(cloud, tomorrow), { '08:00': 9, '12:00': 0 });
    assert.equal((await liveBySlot(cloud, today))['00:00'], 1);
    const [over] = await rows<{ n: number }>(cloud, sql`select count(*)::int n from audit_log where action = 'hub_over_slot'`);
    assert.is(over!.n, 0);
    const lease = (must(await api(cloud.url, `/api/v1/hub-leases?site=demo&day=${tomorrow}`), 200).items as any[]).find((l) => l.slot?.from === '08:00');
    assert.equal({ held: lease.held, sold: lease.sold, recorded: lease.recorded, left: lease.left }, { held: 3, sold: 2, recorded: 2, left: 1 });
    assert.ok(Date.parse(lease.updatedAt) > Date.now() - 60_000, 'last heard from the hub just now');

    // A refund at HQ frees two places of the slot; the hub, short (it asked for 2 more), gets them.
    const hqOrder = (must(await api(cloud.url, `/api/v1/orders?visitFrom=${tomorrow}&visitTo=${tomorrow}&site=demo&limit=50`), 200).items as any[]).find((o) => o.totalFen === 7 * 12000);
    const full7 = must(await api(cloud.url, `/api/v1/orders/${hqOrder.id}`), 200);
    must(await api(cloud.url, `/api/v1/orders/${hqOrder.id}/refunds`, { body: { tickets: full7.lines[0].tickets.slice(0, 2).map((t: any) => t.id), method: 'cash', reason: '游客改变行程' } }), 201);
    await waitFor('the hub was leased the freed places', () => h.state().window!.leases!.find((l) => l.kind === 'slot' && l.day === tomorrow && l.slot === '08:00-12:00' && l.left >= 3));
    must(await hubApi(h, '/orders', { token: seller, key: 'b', body: { visitDay: tomorrow, slot: '08:00', lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] } }), 201);
    await waitFor('uploaded', () => h.state().window!.journal.pending === 0);
    s = await slotsAt(cloud, tomorrow);
    assert.ok(s[0]!.sold + s[0]!.soldWalkIn <= s[0]!.quota);
    assert.equal(await liveBySlot(cloud, tomorrow), { '08:00': 9, '12:00': 0 });

    // A hub that needs less gives back: restarted with a slot target of 0, it returns what it holds unsold.
    await h.stop();
    hub = new SiteHub(config(0), testLog.child('hub'));
    await hub.start();
    await waitFor('gave them back', async () => (must(await api(cloud.url, `/api/v1/hub-leases?site=demo&day=${tomorrow}`), 200).items as any[]).every((l) => l.left === 0));
    s = await slotsAt(cloud, tomorrow);
    assert.equal(s.map((x) => x.sold + x.soldWalkIn), [9, 0], 'what HQ holds is what was sold');
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);
  } finally {
    await stopHubSite({ hub, wan, cloud, dataDir });
  }
});

test.run();
