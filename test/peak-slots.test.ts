import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readTicketCode } from '../shared/code/ticket-code.ts';
import { addDays } from '../shared/time/zone.ts';
import { bookingChannel, today } from './support/channel.ts';
import { api, onBothBackends, startTestCloud } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

/**
 * Every sales path takes its time slot (分时预约), signs it into the tickets' codes, and gives
 * the places back when let go: kiosk sales (never from the windows' walk-in share), group
 * reservations, window orders waiting for a mobile payment, booked tickets, and refunds (the
 * slot's places and the type's daily capacity). On PGlite, and on Postgres when one is named.
 */
async function slotPaths(extra: Record<string, unknown>, label: string): Promise<void> {
  const cloud = await startTestCloud(extra);
  const u = cloud.url;
  try {
    const day = today();
    const tomorrow = addDays(day, 1);
    const { sellers } = await seedOffice(u, { capacity: 30 });
    const s1 = sellers[0]!;
    await provision(u, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
    must(await api(u, '/api/v1/shifts', { token: s1.token, body: { floatFen: 10000 } }), 201);
    // One slot a day all day: 10 places, 4 kept for the windows.
    must(await api(u, '/api/v1/slots/demo/main', { body: { fromDay: day, toDay: tomorrow, start: '00:00', end: '24:00', everyMinutes: 1440, quota: 10, walkIn: 4 } }), 200);
    const slot = async (d: string) => (await api(u, `/api/v1/slots/demo/main?day=${d}`)).body.items[0] as { sold: number; soldWalkIn: number; remaining: number };
    const left = async (d: string) => (await api(u, `/api/v1/capacity/adult/${d}`)).body.left as number;
    const gateKeys = new Map([[cloud.ctx!.key.keyId, cloud.ctx!.key.publicKey]]);
    const slotInCode = (code: string) => {
      const r = readTicketCode(code, gateKeys);
      assert.ok(r.ok, `${label}: a code the gates read`);
      return r.ok ? r.facts.slot : undefined;
    };

    // The kiosk: the slot under way, signed into the code; never the windows' share.
    const kiosk = (attemptId: string, quantity: number, authCode = '134567890123456780') => fetch(`${u}/api/v1/sync/kiosk/sales`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') },
      body: JSON.stringify({ attemptId, items: [{ type: 'adult', quantity }], amountFen: 12000 * quantity, authCode }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const k1 = must(await kiosk('slot-kiosk-1', 2), 200);
    assert.equal(k1.tickets.map((t: any) => slotInCode(t.code)), [{ from: '00:00', to: '24:00' }, { from: '00:00', to: '24:00' }], label);
    assert.equal([(await slot(day)).sold, (await slot(day)).soldWalkIn], [2, 0], label);
    const full = await kiosk('slot-kiosk-2', 5);
    assert.is(full.status, 409, label);
    assert.is(full.body.error.code, 'slot_full', `${label}: 2 + 5 would eat into the 4 kept for the windows`);
    assert.is((await slot(day)).sold, 2, label);

    // A window mobile payment declined (a code ending in 4): its held place comes back.
    const declined = must(await api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'mobile', amountFen: 12000, authCode: '134567890123456784' }] } }), 201);
    assert.is(declined.status, 'cancelled', label);
    assert.is((await slot(day)).soldWalkIn, 0, `${label}: a declined payment holds nothing`);
    // Paid by mobile: the walk-in share, the slot in the code.
    const paid = must(await api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity: 2 }], payments: [{ method: 'mobile', amountFen: 24000, authCode: '134567890123456780' }] } }), 201);
    assert.is(paid.status, 'issued', label);
    assert.equal(slotInCode(paid.lines[0].tickets[0].code), { from: '00:00', to: '24:00' }, label);
    assert.is((await slot(day)).soldWalkIn, 2, label);

    // A refund gives the slot's place and the day's capacity back, once.
    const capBefore = await left(day);
    must(await api(u, `/api/v1/orders/${paid.id}/refunds`, { body: { tickets: [paid.lines[0].tickets[0].id], method: 'mobile', reason: '行程变更' } }), 201);
    assert.is((await slot(day)).soldWalkIn, 1, `${label}: refunded place back in the walk-in share`);
    assert.is(await left(day), capBefore + 1, `${label}: and the day's capacity`);
    const again = await api(u, `/api/v1/orders/${paid.id}/refunds`, { body: { tickets: [paid.lines[0].tickets[0].id], method: 'mobile', reason: '再退' } });
    assert.is(again.status, 409, label);
    assert.is((await slot(day)).soldWalkIn, 1, `${label}: never given back twice`);

    // A group reservation for tomorrow must name its slot, holds it, and gives it back when cancelled.
    const unnamed = await api(u, '/api/v1/orders', { token: s1.token, body: { visitDay: tomorrow, reserve: true, lines: [{ type: 'adult', quantity: 3, group: 'one' }] } });
    assert.is(unnamed.body.error?.code, 'slot_required', label);
    const r1 = must(await api(u, '/api/v1/orders', { token: s1.token, body: { visitDay: tomorrow, slot: '00:00', reserve: true, lines: [{ type: 'adult', quantity: 3, group: 'one' }] } }), 201);
    assert.is((await slot(tomorrow)).soldWalkIn, 3, label);
    must(await api(u, `/api/v1/orders/${r1.id}/cancel`, { token: s1.token, body: {} }), 200);
    assert.is((await slot(tomorrow)).soldWalkIn, 0, `${label}: a cancelled reservation lets its slot go`);
    const r2 = must(await api(u, '/api/v1/orders', { token: s1.token, body: { visitDay: tomorrow, slot: '00:00', reserve: true, lines: [{ type: 'adult', quantity: 3, group: 'one' }] } }), 201);
    const issued = must(await api(u, `/api/v1/orders/${r2.id}/issue`, { token: s1.token, body: { payments: [cash(36000)] } }), 200);
    assert.equal(slotInCode(issued.lines[0].tickets[0].code), { from: '00:00', to: '24:00' }, label);
    assert.is((await slot(tomorrow)).soldWalkIn, 3, `${label}: issuing keeps the places it held, no more`);

    // A channel booking: slot in the code; cancelled after payment, its places come back.
    const ch = await bookingChannel(u, 'ctrip');
    const post = (path: string, body: unknown, key: string) => fetch(`${u}/api/v1/channels${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': key }, body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const b = must(await post('/bookings', { visitDay: tomorrow, slot: '00:00', items: [{ type: 'adult', quantity: 2 }], contact: { name: '张三', phone: '13800138000' } }, 'slot-b1'), 201);
    const bp = must(await post(`/bookings/${b.orderNo}/pay`, { amountFen: b.totalFen, paymentRef: 'P-SLOT-1' }, 'slot-p1'), 200);
    assert.equal(bp.tickets.map((t: any) => slotInCode(t.code)), [{ from: '00:00', to: '24:00' }, { from: '00:00', to: '24:00' }], label);
    assert.equal(bp.slot, { from: '00:00', to: '24:00' }, `${label}: the booking still shows its slot`);
    assert.is((await slot(tomorrow)).sold, 2, label);
    must(await post(`/bookings/${b.orderNo}/cancel`, {}, 'slot-c1'), 200);
    assert.is((await slot(tomorrow)).sold, 0, `${label}: a cancelled paid booking gives its slot back`);
  } finally {
    await cloud.cleanup();
  }
}

onBothBackends(test, 'kiosk, reservation, mobile-pending, booking and refund paths take and give back slot places', slotPaths);

test.run();
