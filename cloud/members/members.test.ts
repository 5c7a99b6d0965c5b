import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eq } from 'drizzle-orm';
import { ticketTypes } from '../db/schema/index.ts';
import { readChanges } from '../sync/changes.ts';
import { openHq } from '../../test/support/hq.ts';
import { lookupHash } from '../../shared/booking/lookup.ts';

// 10:00 on 2026-11-25 in Shanghai.
const DAY = 86_400_000;
const start = Date.UTC(2026, 10, 25, 2, 0);
const hq = await openHq({ now: start });
const { req } = hq;

const memberType = (code: string, priceFen: number, kind = 'member') =>
  req('POST', '/api/v1/ticket-types', { code, name: code, priceFen, validityDays: 365, entries: 0, persons: 1, rules: { kind, faceRequired: false } });
assert.is((await memberType('annual', 30000)).status, 201);
assert.is((await memberType('staff', 0, 'staff')).status, 201);
assert.is((await req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 })).status, 201);

const holder = { name: '赵六', sex: 'F', phone: '13700001234', idNumber: '11010519491231002X' };
const log = () => readChanges(hq.ctx.db, { site: 'demo', since: 0, limit: 10_000, now: hq.clock.now, logId: hq.ctx.changeLog });
/** Administrator headers with an Idempotency-Key. */
let adminToken: string | undefined;
const adminWith = async (key: string) => {
  adminToken ??= await hq.userToken('admin2', ['administrator']);
  return { authorization: `Bearer ${adminToken}`, 'Idempotency-Key': key };
};
const setPrice = (code: string, priceFen: number) => hq.ctx.db.update(ticketTypes).set({ priceFen }).where(eq(ticketTypes.code, code));

test('issue: holder details, a year from today, an ordinary ticket with the card UID bound', async () => {
  const r = await req('POST', '/api/v1/members/cards', { member: holder, type: 'annual', kind: 'annual', cardNo: 'A0001', cardUid: '04a1b2c3' });
  assert.is(r.status, 201, JSON.stringify(r.body));
  assert.is(r.body.validFrom, '2026-11-25');
  assert.is(r.body.expiresOn, '2027-11-24');
  assert.equal(r.body.member.name, '赵六');
  assert.is(r.body.member.sex, 'F');
  assert.is(r.body.ticket.validFrom, '2026-11-24T16:00:00.000Z');
  assert.is(r.body.ticket.validUntil, '2027-11-24T16:00:00.000Z', 'through the end of the last day');
  assert.is(r.body.events[0].priceFen, 30000);
  const changes = (await log()).changes;
  assert.ok(changes.some((c) => c.kind === 'ticket' && c.ticket.id === r.body.ticket.id));
  assert.ok(changes.some((c) => c.kind === 'credential' && c.value === '04A1B2C3' && c.ticketId === r.body.ticket.id));
});

test('renewal of an unexpired card: a year on top of its expiry, at the current price', async () => {
  hq.clock.now = start + 200 * DAY; // 2027-06-13
  await setPrice('annual', 32000);
  const before = (await req('GET', '/api/v1/members/cards/A0001')).body;
  const r = await req('POST', '/api/v1/members/cards/A0001/renew', { expiresOn: '2027-11-24' });
  assert.is(r.status, 200, JSON.stringify(r.body));
  assert.is(r.body.expiresOn, '2028-11-24');
  const ev = r.body.events.at(-1);
  assert.equal([ev.event, ev.priceFen, ev.expiresBefore, ev.expiresAfter], ['renew', 32000, '2027-11-24', '2028-11-24']);
  assert.is.not(r.body.ticket.id, before.ticket.id, 'a new ticket');
  assert.is(r.body.ticket.validUntil, '2028-11-24T16:00:00.000Z');
  const changes = (await log()).changes;
  assert.ok(changes.some((c) => c.kind === 'revoke' && c.ticketId === before.ticket.id), 'the old ticket is revoked');
  const uid = changes.filter((c) => c.kind === 'credential' && c.value === '04A1B2C3').at(-1) as { ticketId: string };
  assert.is(uid.ticketId, r.body.ticket.id, 'the card UID moved to the new ticket');
  // Sent twice: the second one sees the new expiry and is refused, not a second year.
  const twice = await req('POST', '/api/v1/members/cards/A0001/renew', { expiresOn: '2027-11-24' });
  assert.is(twice.status, 409);
  assert.is(twice.body.error.code, 'stale_expiry');
  assert.is((await req('GET', '/api/v1/members/cards/A0001')).body.expiresOn, '2028-11-24');
});

test('renewal of an expired card: a year from the renewal day, at the price changed since purchase', async () => {
  hq.clock.now = start;
  const r0 = await req('POST', '/api/v1/members/cards', { member: { name: '钱七', phone: '13700005678' }, type: 'annual', kind: 'annual', cardNo: 'A0002' });
  assert.is(r0.body.expiresOn, '2027-11-24');
  assert.is(r0.body.events[0].priceFen, 32000, 'bought at the price of the day');
  hq.clock.now = Date.UTC(2028, 0, 10, 4, 0); // 2028-01-10, expired since 2027-11-24
  await setPrice('annual', 35000);
  const card = (await req('GET', '/api/v1/members/cards/A0002')).body;
  assert.is(card.expired, true);
  const r = await req('POST', '/api/v1/members/cards/A0002/renew', { expiresOn: '2027-11-24' });
  assert.is(r.status, 200, JSON.stringify(r.body));
  assert.is(r.body.expiresOn, '2029-01-09');
  assert.is(r.body.ticket.validFrom, '2028-01-09T16:00:00.000Z', 'valid from the renewal day');
  assert.is(r.body.events.at(-1).priceFen, 35000);
  assert.is(r.body.expired, false);
});

test('reissue voids the old card: its ticket is revoked for the gates, the new card keeps the expiry', async () => {
  hq.clock.now = start + 10 * DAY;
  const old = (await req('GET', '/api/v1/members/cards/A0001')).body;
  const r = await req('POST', '/api/v1/members/cards/A0001/reissue', { reason: 'lost', cardNo: 'A0001-2', cardUid: '04FFEE11', feeFen: 2000 });
  assert.is(r.status, 201, JSON.stringify(r.body));
  assert.is(r.body.cardNo, 'A0001-2');
  assert.is(r.body.expiresOn, old.expiresOn);
  assert.is(r.body.member.id, old.member.id);
  const voided = (await req('GET', '/api/v1/members/cards/A0001')).body;
  assert.is(voided.state, 'void');
  assert.is(voided.ticket.revoked, 'lost');
  const changes = (await log()).changes;
  assert.ok(changes.some((c) => c.kind === 'revoke' && c.ticketId === old.ticket.id && c.reason === 'lost'));
  assert.ok(changes.some((c) => c.kind === 'credential' && c.value === '04FFEE11' && c.ticketId === r.body.ticket.id));
  const again = await req('POST', '/api/v1/members/cards/A0001/renew', { expiresOn: old.expiresOn });
  assert.is(again.status, 409);
  assert.is(again.body.error.code, 'card_void');
  assert.is(r.body.events[0].priceFen, 2000);
  // The explain view agrees: a gate refuses the old ticket.
  assert.is((await req('PUT', '/api/v1/sites/demo/lanes/lane-1', {})).status, 200);
  const explained = await req('GET', `/api/v1/tickets/${old.ticket.id}/explain`);
  assert.is(explained.body.verdict.admit, false);
});

test('member query by phone, ID number, card number, card UID', async () => {
  const byPhone = await req('GET', '/api/v1/members?phone=13700001234');
  assert.is(byPhone.status, 200);
  assert.is(byPhone.body.length, 1);
  assert.equal(byPhone.body[0].cards.map((c: any) => [c.cardNo, c.state]), [['A0001', 'void'], ['A0001-2', 'active']]);
  assert.is((await req('GET', '/api/v1/members?idNumber=11010519491231002x')).body[0].name, '赵六');
  assert.is((await req('GET', '/api/v1/members?cardNo=A0002')).body[0].name, '钱七');
  assert.is((await req('GET', '/api/v1/members?cardUid=04ffee11')).body[0].name, '赵六');
  assert.equal((await req('GET', '/api/v1/members?phone=13000000000')).body, []);
});

test('staff cards and resident passes bound to the ID card', async () => {
  const s = await req('POST', '/api/v1/members/cards', { member: { name: '员工甲', phone: '13600000001', employeeNo: 'E007' }, type: 'staff', kind: 'staff', cardUid: '0A0B0C0D' });
  assert.is(s.status, 201, JSON.stringify(s.body));
  assert.is(s.body.member.employeeNo, 'E007');
  assert.is(s.body.events[0].priceFen, 0);
  assert.match(s.body.cardNo, /^M\d{10}$/);
  const wrong = await req('POST', '/api/v1/members/cards', { member: { name: '员工乙', phone: '13600000002' }, type: 'annual', kind: 'staff' });
  assert.is(wrong.status, 422);
  assert.is(wrong.body.error.code, 'wrong_type_kind');
  const resident = await req('POST', '/api/v1/members/cards', { member: { name: '居民', phone: '13600000003', idNumber: '110105194912310029' }, type: 'annual', kind: 'resident', bindIdCard: true });
  assert.is(resident.status, 422, 'a bad check digit');
  const ok = await req('POST', '/api/v1/members/cards', { memberId: (await req('GET', '/api/v1/members?phone=13700001234')).body[0].id, type: 'annual', kind: 'resident', bindIdCard: true });
  assert.is(ok.status, 201, JSON.stringify(ok.body));
  assert.ok((await log()).changes.some((c) => c.kind === 'credential' && c.credential === 'idcard' && c.value === lookupHash('id', '11010519491231002X') && c.ticketId === ok.body.ticket.id));
});

test('issue honours Idempotency-Key: a retry gets the same card, another body is refused', async () => {
  const body = { member: { name: '孙八', phone: '13600000009' }, type: 'annual', kind: 'annual' };
  const first = await req('POST', '/api/v1/members/cards', body, await adminWith('issue-1'));
  const again = await req('POST', '/api/v1/members/cards', body, await adminWith('issue-1'));
  assert.is(first.status, 201, JSON.stringify(first.body));
  assert.is(again.body.cardNo, first.body.cardNo);
  assert.is((await req('GET', '/api/v1/members?phone=13600000009')).body[0].cards.length, 1);
  const other = await req('POST', '/api/v1/members/cards', { ...body, kind: 'resident' }, await adminWith('issue-1'));
  assert.is(other.status, 409);
  assert.is(other.body.error.code, 'idempotency_conflict');
});

test('bad input: 4xx, clear errors, nothing written', async () => {
  const count = async () => {
    const r = (await hq.ctx.db.execute('select (select count(*) from member_cards)::int + (select count(*) from members)::int + (select count(*) from tickets)::int as n')) as unknown as { rows?: { n: number }[] } & { n: number }[];
    return (r.rows ?? r)[0]!.n;
  };
  const before = await count();
  const cases: [string, string, unknown, number, string][] = [
    ['POST', '/api/v1/members/cards', 'nope', 400, 'invalid_json'],
    ['POST', '/api/v1/members/cards', { type: 'annual', kind: 'annual' }, 400, 'invalid_request'],
    ['POST', '/api/v1/members/cards', { member: holder, type: 'annual', kind: 'weekly' }, 400, 'invalid_request'],
    ['POST', '/api/v1/members/cards', { member: { ...holder, phone: '123' }, type: 'annual', kind: 'annual' }, 400, 'invalid_request'],
    ['POST', '/api/v1/members/cards', { member: { ...holder, phone: '12345678' }, type: 'annual', kind: 'annual' }, 422, 'invalid_phone'],
    ['POST', '/api/v1/members/cards', { member: holder, type: 'nope', kind: 'annual' }, 404, 'not_found'],
    ['POST', '/api/v1/members/cards', { member: holder, type: 'adult', kind: 'annual' }, 422, 'wrong_type_kind'],
    ['POST', '/api/v1/members/cards', { member: holder, type: 'annual', kind: 'annual', cardNo: 'A0002' }, 409, 'duplicate'],
    ['POST', '/api/v1/members/cards', { member: holder, type: 'annual', kind: 'annual', cardUid: '0A0B0C0D' }, 409, 'credential_in_use'],
    ['POST', '/api/v1/members/cards', { memberId: '018f0000-0000-7000-8000-000000000000', type: 'annual', kind: 'annual' }, 404, 'not_found'],
    ['POST', '/api/v1/members/cards/NOPE/renew', { expiresOn: '2027-01-01' }, 404, 'not_found'],
    ['POST', '/api/v1/members/cards/A0002/renew', {}, 400, 'invalid_request'],
    ['POST', '/api/v1/members/cards/A0002/reissue', { reason: 'bored' }, 400, 'invalid_request'],
    ['POST', '/api/v1/members/cards/A0002/reissue', { reason: 'lost', cardNo: 'A0002' }, 422, 'same_card_no'],
    ['GET', '/api/v1/members', undefined, 400, 'invalid_request'],
    ['GET', '/api/v1/members/cards/NOPE', undefined, 404, 'not_found'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = await req(method, path, body);
    assert.is(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.is(r.body.error.code, code, `${method} ${path}`);
  }
  assert.is(await count(), before, 'nothing written');
  const finance = await hq.userToken('fin1', ['finance']);
  assert.is((await hq.raw('GET', '/api/v1/members?phone=13700001234', undefined, { authorization: `Bearer ${finance}` })).status, 403);
});

test.after(() => hq.close());
test.run();
