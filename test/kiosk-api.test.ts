import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addDays } from '../shared/time/zone.ts';
import { startTestKiosk, type TestKiosk } from '../edge/kiosk/testing/kiosk.ts';
import { bookingChannel, today } from './support/channel.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { PHOTO_BYTES } from '../hardware/idcard/basic-info.ts';
import { SamSim } from '../hardware/idcard/sam-sim.ts';
import { openPtyPair } from '../hardware/testing/pty.ts';
import { provision } from './support/provision.ts';
import { checkAnswer } from './support/api-schema.ts';
import { createApp } from '../cloud/app.ts';

const cloud = await startTestCloud();
await provision(cloud.url, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }, { device: 'kiosk-2', role: 'kiosk' }, { device: 'gate-1', lanes: ['lane-1'] }]);
const channel = await bookingChannel(cloud.url);
let kiosk: TestKiosk;

test.before(async () => {
  kiosk = await startTestKiosk({ cloudUrl: cloud.url });
});
test.after(async () => {
  await kiosk.stop();
  await cloud.cleanup();
});

test('pickup by order number and phone: found at HQ, printed, recorded at HQ once', async () => {
  const b = await channel.book({ name: '张三', phone: '13812345678' });
  const found = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '138 1234 5678' });
  assert.is(found.status, 200, JSON.stringify(found.body));
  assert.is(found.body.source, 'hq');
  assert.is(found.body.bookings.length, 1);
  const view = found.body.bookings[0];
  assert.is(view.tickets, 2);
  assert.is(view.contactName, '张*');
  assert.not.ok(JSON.stringify(found.body).includes('13812345678'), 'the phone never reaches the screen');

  const before = kiosk.printer.jobs.length;
  const done = await kiosk.call('POST', '/api/pickup/confirm', { token: view.token });
  assert.is(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body, { orderNo: b.orderNo, printed: 2, total: 2 });
  assert.is(kiosk.printer.jobs.length - before, 2, 'one job per ticket');
  await waitFor('pickup at HQ', async () => (await api(cloud.url, `/api/v1/pickups/lookup?order=${b.orderNo}&phone=13812345678`)).body[0]?.state === 'picked_up');
  await waitFor('outbox empty', () => kiosk.agent.store.outboxSize() === 0);
  assert.is(kiosk.agent.store.pickupsOf(b.orderNo)[0]!.hqResult, 'picked_up');

  // The same token again, and a new search: already picked up, nothing printed.
  const again = await kiosk.call('POST', '/api/pickup/confirm', { token: view.token });
  assert.is(again.status, 404);
  const second = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13812345678' });
  assert.is(second.status, 409);
  assert.is(second.body.error.code, 'already_picked_up');
  assert.is(kiosk.printer.jobs.length - before, 2);
});

test('a double tap: two confirms at once print the booking once', async () => {
  const b = await channel.book({ name: '吴十', phone: '13900007777' }, [{ type: 'adult', quantity: 2 }]);
  const found = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13900007777' });
  const token = found.body.bookings[0].token;
  const jobs0 = kiosk.printer.jobs.length;
  const [x, y] = await Promise.all([kiosk.call('POST', '/api/pickup/confirm', { token }), kiosk.call('POST', '/api/pickup/confirm', { token })]);
  assert.equal([x.status, y.status].sort(), [200, 409], JSON.stringify([x.body, y.body]));
  assert.is([x, y].find((r) => r.status === 409)!.body.error.code, 'busy');
  assert.is(kiosk.printer.jobs.length - jobs0, 2);
  assert.is(kiosk.agent.store.pickupsOf(b.orderNo).length, 1);
});

test('bad input and unknown bookings are clear 4xx errors', async () => {
  const cases: [unknown, number, string][] = [
    [{ by: 'order', order: 'B123456', phone: '12345' }, 400, 'invalid_phone'],
    [{ by: 'order', order: 'B0000000000000', phone: '13800000000' }, 404, 'not_found'],
    [{ by: 'id', idNumber: '110105194912310021' }, 400, 'invalid_id_number'],
    [{ by: 'code', code: 'BKNOSUCHCODE' }, 404, 'not_found'],
    [{ by: 'nope' }, 400, 'invalid_request'],
    ['not json at all', 400, 'invalid_request'],
  ];
  for (const [body, status, code] of cases) {
    const r = await fetch(`${kiosk.agent.url}/api/pickup/find`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const j = (await r.json()) as any;
    assert.is(r.status, status, JSON.stringify({ body, j }));
    assert.is(j.error.code, code);
  }
  const expired = await kiosk.call('POST', '/api/pickup/confirm', { token: 'no-such-token' });
  assert.is(expired.body.error.code, 'expired_session');
});

test('pickup by booking QR and by ID card; cancelled booking is refused', async () => {
  const byQr = await channel.book({ name: 'Li Si', phone: '13900001111' }, [{ type: 'child', quantity: 1 }]);
  const scanned = await kiosk.call('POST', '/api/pickup/find', { by: 'code', code: byQr.pickupCode });
  assert.is(scanned.status, 200, JSON.stringify(scanned.body));
  assert.is(scanned.body.bookings[0].orderNo, byQr.orderNo);
  // A ticket code of the booking finds it too.
  const byTicket = await kiosk.call('POST', '/api/pickup/find', { by: 'code', code: byQr.tickets[0]!.code });
  assert.is(byTicket.body.bookings[0].orderNo, byQr.orderNo);

  const ID = '11010519491231002X';
  const byId = await channel.book({ name: '王五', phone: '13900002222', idNumber: ID });
  const swiped = await kiosk.call('POST', '/api/idcard', { idNumber: ID.toLowerCase() });
  assert.is(swiped.status, 200, JSON.stringify(swiped.body));
  assert.ok(swiped.body.bookings.some((x: any) => x.orderNo === byId.orderNo));

  // Cancellations close when the visit day starts: this one is for tomorrow.
  const gone = await channel.book({ name: '赵六', phone: '13900003333' }, undefined, addDays(today(), 1));
  const early = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: gone.orderNo, phone: '13900003333' });
  assert.is(early.status, 409);
  assert.is(early.body.error.code, 'not_today');
  const cancelled = await channel.cancel(gone.orderNo);
  assert.is(cancelled.status, 200, JSON.stringify(cancelled.body));
  const r = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: gone.orderNo, phone: '13900003333' });
  assert.is(r.status, 409);
  assert.is(r.body.error.code, 'booking_cancelled');
});

test('printer out of paper: nothing marked picked up; after a refill every ticket prints once', async () => {
  const b = await channel.book({ name: '孙七', phone: '13900004444' }, [{ type: 'adult', quantity: 3 }]);
  const found = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13900004444' });
  const token = found.body.bookings[0].token;
  kiosk.printer.device.setPaper('out');
  const jobs0 = kiosk.printer.jobs.length;
  const failed = await kiosk.call('POST', '/api/pickup/confirm', { token });
  assert.is(failed.status, 503);
  assert.is(failed.body.error.code, 'paper_out');
  assert.is(kiosk.printer.jobs.length, jobs0, 'nothing sent to an empty printer');
  assert.is(kiosk.agent.store.outboxSize(), 0);
  assert.is((await api(cloud.url, `/api/v1/pickups/lookup?order=${b.orderNo}&phone=13900004444`)).body[0].state, 'issued', 'not picked up at HQ');

  // Paper for one ticket and a bit: the second runs out mid-job.
  kiosk.printer.device.setRoll(1.5 * kiosk.printer.jobs[jobs0 - 1]!.page.height);
  const partial = await kiosk.call('POST', '/api/pickup/confirm', { token });
  assert.is(partial.body.error.code, 'paper_out', JSON.stringify(partial.body));
  assert.is(partial.body.error.details.printed, 1);
  await waitFor('pickup at HQ after the first ticket', async () => (await api(cloud.url, `/api/v1/pickups/lookup?order=${b.orderNo}&phone=13900004444`)).body[0].state === 'picked_up');

  // Refilled: the rest prints, once each; a new search offers to resume, not "already picked up".
  kiosk.printer.device.setRoll(undefined);
  kiosk.printer.device.setPaper('ok');
  const resumed = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13900004444' });
  assert.is(resumed.status, 200, JSON.stringify(resumed.body));
  assert.is(resumed.body.bookings[0].resume, true);
  assert.is(resumed.body.bookings[0].printed, 1);
  const done = await kiosk.call('POST', '/api/pickup/confirm', { token: resumed.body.bookings[0].token });
  assert.is(done.status, 200, JSON.stringify(done.body));
  const printedOk = kiosk.printer.jobs.slice(jobs0).filter((j) => j.printed);
  assert.is(printedOk.length, 3, 'three tickets on paper, none twice');
  const codes = printedOk.map((j) => j.page.items.find((i) => i.kind === 'qr')!.data);
  assert.is(new Set(codes).size, 3);
  assert.equal(new Set(codes), new Set(b.tickets.map((t) => t.code)));
});

test('tickets print through the template HQ sent for their type', async () => {
  const layout = { elements: [{ kind: 'text', text: '儿童票专用模板 CHILD', align: 'center' }, { kind: 'qr', moduleSize: 5 }, { kind: 'field', field: 'orderNo', label: '订单 ' }] };
  const made = await api(cloud.url, '/api/v1/templates', { body: { code: 'child-ticket', name: '儿童票', type: 'child', layout } });
  assert.is(made.status, 201, JSON.stringify(made.body));
  const child = kiosk.agent.store.types().find((t) => t.code === 'child')!;
  await waitFor('template at the kiosk', () => kiosk.agent.store.template(`type:${child.typeId}`), 10_000);
  const b = await channel.book({ name: '周八', phone: '13900005555' }, [{ type: 'child', quantity: 1 }, { type: 'adult', quantity: 1 }]);
  const found = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13900005555' });
  const jobs0 = kiosk.printer.jobs.length;
  assert.is((await kiosk.call('POST', '/api/pickup/confirm', { token: found.body.bookings[0].token })).status, 200);
  const texts = kiosk.printer.jobs.slice(jobs0).map((j) => j.page.items.filter((i) => i.kind === 'text').map((i) => (i as { text: string }).text).join('|'));
  assert.is(texts.length, 2);
  assert.is(texts.filter((t) => t.includes('儿童票专用模板 CHILD')).length, 1, 'the child ticket through its template');
  assert.is(texts.filter((t) => t.includes('测试景区')).length, 1, 'the adult ticket through the built-in layout');
});

test('an ID card on the reader (SAM over a pty) finds the holder\'s bookings; its number stays off the screen', async () => {
  const ID = '110105194912310038';
  const b = await channel.book({ name: '钱九', phone: '13900006666', idNumber: ID }, [{ type: 'adult', quantity: 1 }]);
  const pty = await openPtyPair();
  const sim = new SamSim({ path: pty.b, baudRate: 115200 });
  await sim.start();
  const k2 = await startTestKiosk({ cloudUrl: cloud.url, device: 'kiosk-2', idcard: { driver: 'sam', path: pty.a, pollMs: 30, responseTimeoutMs: 1500, reconnectMs: 20 } });
  try {
    const none = await k2.call('POST', '/api/idcard/read', {});
    assert.is(none.body.error.code, 'not_found', 'no card read yet');
    sim.place({ name: '钱九', sexCode: '1', nationCode: '01', birthDate: '1949-12-31', address: '北京市', idNumber: ID, authority: '北京市公安局', validFrom: '2010-01-01', validUntil: null, photoWlt: Buffer.alloc(PHOTO_BYTES) });
    const state = await waitFor('card read', async () => {
      const st = await k2.call('GET', '/api/state');
      return st.body.card?.seq >= 1 ? st.body : undefined;
    });
    assert.not.ok(JSON.stringify(state).includes(ID));
    const found = await k2.call('POST', '/api/idcard/read', {});
    assert.is(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.bookings.map((x: any) => x.orderNo), [b.orderNo]);
  } finally {
    await k2.stop();
    await sim.stop();
    await pty.close();
  }
});

/**
 * Sale lines HQ made for this kiosk: one order per attempt (the attempt id is its
 * idempotency key), a line per type, paid by one mobile payment in the kiosk's shift of the day.
 */
async function kioskSales(attemptId: string): Promise<number> {
  const rows = async (q: string) => {
    const r = (await cloud.ctx!.db.execute(q)) as unknown as { rows?: Record<string, unknown>[] } & Record<string, unknown>[];
    return r.rows ?? r;
  };
  // The attempt's key (idempotency_keys, the kiosk's own scope) names the order it made.
  const keyed = `join idempotency_keys k on k.ref->>'orderId' = o.id::text and k.scope = 'device:demo/kiosk-1' and k.key = '${attemptId}'`;
  const lines = await rows(`select s.total_fen, o.total_fen as order_fen, o.shift_id from sales s join orders o on o.id = s.order_id ${keyed}
    where o.channel = 'kiosk'`);
  if (lines.length) {
    const paid = await rows(`select p.amount_fen, p.method, p.book, p.shift_id from payments p join orders o on o.id = p.order_id ${keyed}`);
    assert.equal(paid.map((p) => [Number(p.amount_fen), p.method, p.book, p.shift_id]), [[Number(lines[0]!.order_fen), 'mobile', 'shift', lines[0]!.shift_id]], 'paid once, in the kiosk\'s shift');
    assert.is(lines.reduce((s, l) => s + Number(l.total_fen), 0), Number(lines[0]!.order_fen), 'the lines add up to the payment');
  }
  return lines.length;
}

test('self-service sale: declined payment charges nothing; a paid attempt retried is one sale, printed once', async () => {
  const types = await kiosk.call('GET', '/api/sale/types');
  assert.is(types.status, 200, JSON.stringify(types.body));
  assert.ok(types.body.types.some((t: any) => t.code === 'adult' && t.priceFen === 12000));

  const declined = await kiosk.call('POST', '/api/sale', { items: [{ type: 'adult', quantity: 1 }] });
  assert.is(declined.body.amountFen, 12000);
  const no = await kiosk.call('POST', `/api/sale/${declined.body.attemptId}/pay`, { authCode: '134567890123456784' });
  assert.is(no.status, 402);
  assert.is(no.body.error.code, 'payment_failed');
  assert.is(await kioskSales(declined.body.attemptId), 0);
  // The declined attempt stays declined: a retry does not charge again with another code.
  const noAgain = await kiosk.call('POST', `/api/sale/${declined.body.attemptId}/pay`, { authCode: '134567890123456780' });
  assert.is(noAgain.body.error.code, 'payment_failed');
  assert.is(await kioskSales(declined.body.attemptId), 0);

  const sale = await kiosk.call('POST', '/api/sale', { items: [{ type: 'adult', quantity: 1 }, { type: 'child', quantity: 2 }] });
  assert.is(sale.body.amountFen, 24000);
  kiosk.printer.device.setPaper('out');
  const jobs0 = kiosk.printer.jobs.length;
  const paid = await kiosk.call('POST', `/api/sale/${sale.body.attemptId}/pay`, { authCode: '134567890123456780' });
  assert.is(paid.status, 503, 'paid, but the printer is out of paper');
  assert.is(paid.body.error.code, 'paper_out');
  assert.is(await kioskSales(sale.body.attemptId), 2, 'one HQ sale per type');
  kiosk.printer.device.setPaper('ok');
  const printed = await kiosk.call('POST', `/api/sale/${sale.body.attemptId}/pay`, { authCode: '134567890123456780' });
  assert.is(printed.status, 200, JSON.stringify(printed.body));
  assert.equal({ printed: printed.body.printed, total: printed.body.total, state: printed.body.state }, { printed: 3, total: 3, state: 'done' });
  const again = await kiosk.call('POST', `/api/sale/${sale.body.attemptId}/pay`, { authCode: '134567890123456780' });
  assert.is(again.body.printed, 3);
  assert.is(kiosk.printer.jobs.slice(jobs0).filter((j) => j.printed).length, 3, 'three tickets, each printed once');
  assert.is(await kioskSales(sale.body.attemptId), 2, 'still one charge, one set of sales');

  const bad = await kiosk.call('POST', '/api/sale', { items: [{ type: 'nope', quantity: 1 }] });
  assert.is(bad.status, 400);
  const badCode = await kiosk.call('POST', '/api/sale', { items: [{ type: 'adult', quantity: 1 }] });
  const r = await kiosk.call('POST', `/api/sale/${badCode.body.attemptId}/pay`, { authCode: 'abc' });
  assert.is(r.status, 400);
});

test('sold out is said before charging', async () => {
  assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'boat', name: '游船票', priceFen: 5000, validityDays: 1, entries: 1, persons: 1, dailyCapacity: 1 } })).status, 201);
  const sale = await kiosk.call('POST', '/api/sale', { items: [{ type: 'boat', quantity: 2 }] });
  assert.is(sale.status, 200, JSON.stringify(sale.body));
  const r = await kiosk.call('POST', `/api/sale/${sale.body.attemptId}/pay`, { authCode: '134567890123456780' });
  assert.is(r.status, 409);
  assert.is(r.body.error.code, 'sold_out');
  assert.is(await kioskSales(sale.body.attemptId), 0);
});

test('HQ charge with a stale price is refused before paying', async () => {
  const res = await fetch(`${cloud.url}/api/v1/sync/kiosk/sales`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') },
    body: JSON.stringify({ attemptId: 'stale-price-1', items: [{ type: 'adult', quantity: 1 }], amountFen: 100, authCode: '134567890123456780' }),
  });
  assert.is(res.status, 409);
  assert.is(((await res.json()) as any).error.code, 'price_changed');
  const gate = await fetch(`${cloud.url}/api/v1/sync/kiosk/types`, { headers: testDeviceHeader('demo', 'gate-1', 'gate') });
  assert.is(gate.status, 403, 'gates are no kiosks');
  assert.is((await fetch(`${cloud.url}/api/v1/sync/kiosk/types`, { headers: testDeviceHeader('demo', 'kiosk-9', 'kiosk') })).status, 404, 'a kiosk HQ does not know');
  await provision(cloud.url, 'other', [{ device: 'kiosk-9', role: 'kiosk' }]);
  const other = await fetch(`${cloud.url}/api/v1/sync/kiosk/bookings?code=BKX`, { headers: testDeviceHeader('other', 'kiosk-9', 'kiosk') });
  assert.is(other.status, 200);
  assert.equal(((await other.json()) as any).bookings, []);
});

test('what HQ answers a kiosk is what its OpenAPI document says', async () => {
  const app = createApp(cloud.ctx!);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cloud.url}${path}`, {
      method, headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await res.json();
    checkAnswer(app, method, path, res.status, json);
    return json as any;
  };
  const { types } = await call('GET', '/api/v1/sync/kiosk/types');
  const adult = types.find((t: any) => t.code === 'adult');
  const sale = await call('POST', '/api/v1/sync/kiosk/sales', { attemptId: 'schema-check-1', items: [{ type: 'adult', quantity: 1 }], amountFen: adult.priceFen, authCode: '134567890123456780' });
  assert.is(sale.state, 'paid');
  const b = await channel.book({ name: '郑一', phone: '13900006666' });
  const found = await call('GET', `/api/v1/sync/kiosk/bookings?order=${b.orderNo}&phone=13900006666`);
  assert.is(found.bookings[0].orderNo, b.orderNo);
  const paid = await channel.book({ name: '郑二', phone: '13900006667' });
  const picked = await call('POST', '/api/v1/sync/pickups', { device: 'kiosk-1', pickups: [{ pickupId: 'schema-check-pickup-1', orderNo: paid.orderNo, at: Date.now() }] });
  assert.is(picked.results[0].result, 'picked_up');
  const bad = await fetch(`${cloud.url}/api/v1/sync/kiosk/sales`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'gate-1', 'gate') }, body: '{"nonsense":1}',
  });
  assert.is(bad.status, 403, 'a gate is refused before its body is read');
});

test.run();
