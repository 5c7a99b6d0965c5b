/**
 * Real-name ticketing (实名制): one ID card comes back for every visit. Three visits on
 * three days, bought at the kiosk (today), online (tomorrow) and at the window (the day
 * after), with a window ticket for tomorrow refunded in between; the same card is bound each
 * time, the gate admits each ticket once on its day and says which, and nothing that should
 * pass is refused. HQ's explain agrees with the gate.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addDays, businessDay } from '../shared/time/zone.ts';
import { api, login, startTestCloud, waitFor } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { startTestGate } from './support/gate.ts';
import { cash, must } from './support/office.ts';
import { provision } from './support/provision.ts';

const DAY = 86_400_000;
const ID = '440304199001011233';
const REALNAME = { code: 'realname', name: '实名票', priceFen: 10000, validityDays: 1, entries: 1, persons: 1, medium: 'id_card', saleMethods: ['id_binding'] };

test('one ID card, three visits on three days: kiosk, online, window, with a refund between', async () => {
  const cloud = await startTestCloud();
  const u = cloud.url;
  await provision(u, 'demo', [{ device: 'gate-1', lanes: ['lane-1'] }, { device: 'kiosk-1', role: 'kiosk' }]);
  const clock = { now: Date.now() };
  const gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', cloudUrl: u, mqttUrl: cloud.mqttUrl }, { now: () => clock.now });
  try {
    const today = businessDay(clock.now, cloud.config.timeZone);
    const [tomorrow, dayAfter] = [addDays(today, 1), addDays(today, 2)];
    must(await api(u, '/api/v1/ticket-types', { body: REALNAME }), 201);
    const seller = must(await api(u, '/api/v1/users', { body: { username: 'window1', displayName: '售票员', roles: ['seller'], password: 'window1-password' } }), 201);
    must(await api(u, `/api/v1/sellers/${seller.id}/grants`, { method: 'PUT', body: { types: ['realname'], discounts: [] } }), 200);
    const token = await login(u, 'window1', 'window1-password');
    must(await api(u, '/api/v1/shifts', { token, body: { floatFen: 0 } }), 201);
    const windowSale = (visitDay: string) => api(u, '/api/v1/orders', { token, body: { lines: [{ type: 'realname', quantity: 1, idcards: [ID] }], visitDay, payments: [cash(10000)] } });

    // At the window, for tomorrow; then refunded: plans changed.
    const first = must(await windowSale(tomorrow), 201);
    const refunded = first.lines[0].tickets[0];
    must(await api(u, `/api/v1/orders/${first.id}/refunds`, { body: { tickets: [refunded.id], method: 'cash', reason: '行程变更' } }), 201);

    // Online, for tomorrow instead: the same ID, bound again.
    const channel = must(await api(u, '/api/v1/channels/admin', { body: { code: 'web', name: '官网', kind: 'web', dailyQuota: 50, cancelCutoffMinutes: 0 } }), 201);
    must(await api(u, '/api/v1/channels/admin/web/prices', { method: 'PUT', body: { prices: [{ type: 'realname', priceFen: 10000 }] } }), 200);
    const headers = (key: string) => ({ 'X-Channel-Key': channel.apiKey, 'Idempotency-Key': key });
    const booked = must(await api(u, '/api/v1/channels/bookings', { token: null, headers: headers('b-1'), body: { visitDay: tomorrow, items: [{ type: 'realname', quantity: 1 }], contact: { name: '王五', phone: '13912345678', idNumber: ID } } }), 201);
    const paid = must(await api(u, `/api/v1/channels/bookings/${booked.orderNo}/pay`, { token: null, headers: headers('b-2'), body: { amountFen: 10000, paymentRef: 'PAY-1' } }), 200);
    const online = paid.tickets[0];

    // At the kiosk, for today, the ID card read there.
    const kiosk = await fetch(`${u}/api/v1/sync/kiosk/sales`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') },
      body: JSON.stringify({ attemptId: 'attempt-0001', items: [{ type: 'realname', quantity: 1 }], amountFen: 10000, authCode: '1234567890123', idNumber: ID }),
    });
    assert.is(kiosk.status, 200, await kiosk.clone().text());
    const atKiosk = ((await kiosk.json()) as { tickets: { id: string }[] }).tickets[0]!;

    // At the window, for the day after.
    const last = must(await windowSale(dayAfter), 201).lines[0].tickets[0];

    // The gate holds the three live bindings (the refunded one dropped).
    const card = { kind: 'idcard' as const, value: ID };
    await waitFor('the gate holds three tickets for the ID card', () => gate.agent.evaluate(card).among === 3 && gate.agent.store.ticket(last.id));
    const visits: [string, { id: string }][] = [[today, atKiosk], [tomorrow, online], [dayAfter, last]];
    for (const [i, [day, ticket]] of visits.entries()) {
      clock.now = Date.now() + i * DAY;
      // The gate's clock says another day; it learns its offset to HQ's from its next pull, as a gate does each morning.
      await gate.agent.sync();
      const hq = must(await api(u, '/api/v1/tickets/explain', { body: { ...card, lane: 'lane-1', at: clock.now } }), 200);
      assert.is(hq.ticketId, ticket.id, `HQ's explain on ${day}`);
      const d = await gate.agent.present(card);
      assert.is(d.admit, true, `${day}: ${d.message}`);
      assert.is(d.ticketId, ticket.id, `${day}: the ticket of that day`);
      assert.is(d.among, 3);
      assert.match(d.message, new RegExp(`名下 3 张票，已用 ${day} 起有效的一张`));
      const again = await gate.agent.present(card);
      assert.equal([again.admit, again.reason, again.ticketId], [false, 'used', ticket.id], `${day}: once a day`);
    }
    await waitFor('HQ has the three entries, one per ticket', async () => {
      const entries = (await api(u, '/api/v1/entries')).body.items as { ticketId: string; kind: string }[];
      return entries.filter((e) => e.kind === 'normal').map((e) => e.ticketId).sort().join() === visits.map(([, t]) => t.id).sort().join();
    });
    assert.is((await api(u, `/api/v1/tickets/${refunded.id}`)).body.credentials.length, 0, 'the refund ended its binding');
  } finally {
    await gate.cleanup();
    await cloud.cleanup();
  }
});

test.run();
