import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openHq } from '../../test/support/hq.ts';

// 10:00 on 2026-11-25 in Shanghai.
const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });
const { req } = hq;

test('counts by province and city from ID numbers, seller entries and bookings', async () => {
  const post = (body: unknown) => req('POST', '/api/v1/origin', body);
  assert.is((await post({ persons: 3, idNumber: '330106199001011234'.slice(0, 17) + checkDigit('33010619900101123') })).status, 201);
  assert.is((await post({ persons: 2, province: '浙江', city: '宁波' })).status, 201);
  assert.is((await post({ persons: 4, province: '上海' })).status, 201);
  assert.is((await post({ persons: 1, province: '安徽省' })).status, 201, 'province only');
  const once = await post({ persons: 5, province: '江苏', city: '南京', ref: 'order-1' });
  const again = await post({ persons: 5, province: '江苏', city: '南京', ref: 'order-1' });
  assert.is(again.body.id, once.body.id, 'one record per ref');
  // A booking with an ID number counts its tickets on its visit day.
  assert.is((await req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 100, validityDays: 1, entries: 1, persons: 1 })).status, 201);
  const ch = await req('POST', '/api/v1/channels/admin', { code: 'web', name: '官网', kind: 'web' });
  await req('PUT', '/api/v1/channels/admin/web/prices', { prices: [{ type: 'adult', priceFen: 100 }] });
  const h = { 'X-Channel-Key': ch.body.apiKey };
  const b = await hq.raw('POST', '/api/v1/channels/bookings', { visitDay: '2026-11-25', items: [{ type: 'adult', quantity: 6 }], contact: { name: '游客', phone: '13800000000', idNumber: '11010519491231002X' } }, { ...h, 'Idempotency-Key': 'o-1' });
  await hq.raw('POST', `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { amountFen: 600, paymentRef: 'x' }, { ...h, 'Idempotency-Key': 'o-2' });
  const unpaid = await hq.raw('POST', '/api/v1/channels/bookings', { visitDay: '2026-11-25', items: [{ type: 'adult', quantity: 9 }], contact: { name: '游客', phone: '13800000000', idNumber: '11010519491231002X' } }, { ...h, 'Idempotency-Key': 'o-3' });
  assert.is(unpaid.status, 201);

  const s = await req('GET', '/api/v1/origin/stats?from=2026-11-25&to=2026-11-25');
  assert.is(s.status, 200, JSON.stringify(s.body));
  assert.is(s.body.total, 21, 'the unpaid booking is not counted');
  assert.equal(s.body.bySource, { id: 3, seller: 12, booking: 6 });
  const prov = Object.fromEntries(s.body.provinces.map((p: any) => [p.name, p]));
  assert.is(prov['浙江省'].persons, 5);
  assert.equal(prov['浙江省'].cities.map((c: any) => [c.name, c.persons]), [['杭州市', 3], ['宁波市', 2]]);
  assert.is(prov['北京市'].persons, 6);
  assert.is(prov['上海市'].cities[0].name, '上海市');
  assert.equal(prov['安徽省'].cities, [{ code: null, name: '未知城市', persons: 1 }]);
  assert.is(s.body.provinces[0].name, '北京市', 'largest first');
  const other = await req('GET', '/api/v1/origin/stats?from=2026-11-26&to=2026-11-30');
  assert.is(other.body.total, 0);
});

test('bad input: 4xx, clear errors, nothing written', async () => {
  const cases: [unknown, number, string][] = [
    ['x', 400, 'invalid_json'],
    [{ persons: 1 }, 400, 'invalid_request'],
    [{ persons: 0, province: '浙江' }, 400, 'invalid_request'],
    [{ persons: 1, province: '浙江', idNumber: '11010519491231002X' }, 400, 'invalid_request'],
    [{ persons: 1, city: '杭州' }, 400, 'invalid_request'],
    [{ persons: 1, province: '火星' }, 422, 'unknown_region'],
    [{ persons: 1, province: '浙江', city: '南京' }, 422, 'unknown_region'],
    [{ persons: 1, idNumber: '110105194912310021' }, 422, 'invalid_id_number'],
  ];
  const before = (await req('GET', '/api/v1/origin/stats?from=2026-11-25&to=2026-11-25')).body.total;
  for (const [body, status, code] of cases) {
    const r = await req('POST', '/api/v1/origin', body);
    assert.is(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.is(r.body.error.code, code);
  }
  assert.is((await req('GET', '/api/v1/origin/stats?from=2026-11-25&to=2026-11-25')).body.total, before);
  assert.is((await req('GET', '/api/v1/origin/stats?from=2026-11-25&to=2026-11-01')).status, 400);
  assert.is((await req('GET', '/api/v1/origin/stats')).status, 400);
  const seller = await hq.userToken('s-o', ['seller']);
  assert.is((await hq.raw('GET', '/api/v1/origin/stats?from=2026-11-25&to=2026-11-25', undefined, { authorization: `Bearer ${seller}` })).status, 403);
  assert.is((await hq.raw('POST', '/api/v1/origin', { persons: 1, province: '浙江' }, { authorization: `Bearer ${seller}` })).status, 201);
});

/** GB 11643 check digit of the first 17 digits. */
function checkDigit(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((n, d, i) => n + Number(d) * w[i]!, 0);
  return '10X98765432'[sum % 11]!;
}

test.after(() => hq.close());
test.run();
