import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simTemplate } from '../hardware/fingerprint/sim.ts';
import { api, startTestCloud } from './support/cloud.ts';
import { testHqHeader } from './support/devices.ts';
import { ANNUAL_MEMBER, must, seedOffice } from './support/office.ts';

/**
 * A member's finger follows the holder: renewing the card (a new ticket) and reissuing it (a
 * new card and ticket) carry the enrolled template over without another press; the old
 * ticket's template is dropped at the gates through the change log, the new ticket's sent.
 */
const cloud = await startTestCloud();
const office = await seedOffice(cloud.url);
const seller = office.sellers[0]!;

test.after(() => cloud.cleanup());

/** The newest fingerprint change per ticket in the site's change log (what gates apply). */
async function fingersInLog(): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let since = 0; ;) {
    const page = must(await api(cloud.url, `/api/v1/sync/changes?site=demo&since=${since}&limit=5000`, { token: null, headers: testHqHeader() }), 200);
    for (const c of page.changes as { kind: string; ticketId: string; template: string | null }[]) if (c.kind === 'fingerprint') out.set(c.ticketId, c.template);
    if (!page.more) return out;
    since = page.next;
  }
}

const cardTicket = async (no: string) => must(await api(cloud.url, `/api/v1/members/cards/${no}`, { token: seller.token }), 200) as { cardNo: string; expiresOn: string; ticket: { id: string } };

test('renewal and reissue carry the fingerprint to the new ticket; the old one\'s is withdrawn', async () => {
  must(await api(cloud.url, '/api/v1/ticket-types', { body: ANNUAL_MEMBER }), 201);
  const issued = must(await api(cloud.url, '/api/v1/members/cards', {
    token: seller.token, body: { member: { name: '周芷若', phone: '13700005678' }, type: 'annual', kind: 'annual', payment: { method: 'cash' } },
  }), 201);
  const first = await cardTicket(issued.cardNo);
  const template = simTemplate('zhou').toString('base64');
  must(await api(cloud.url, `/api/v1/tickets/${first.ticket.id}/fingerprint`, { body: { template } }), 201);

  must(await api(cloud.url, `/api/v1/members/cards/${issued.cardNo}/renew`, {
    token: seller.token, headers: { 'idempotency-key': 'renew-zhou-1' }, body: { expiresOn: first.expiresOn, payment: { method: 'cash' } },
  }), 200);
  const renewed = await cardTicket(issued.cardNo);
  assert.is.not(renewed.ticket.id, first.ticket.id, 'a renewal is a new ticket');
  assert.is((await api(cloud.url, `/api/v1/tickets/${first.ticket.id}/fingerprint`)).status, 404);
  const moved = must(await api(cloud.url, `/api/v1/tickets/${renewed.ticket.id}/fingerprint`), 200);
  assert.is(moved.format, 'r30x-512');
  const newTicket = must(await api(cloud.url, `/api/v1/tickets/${renewed.ticket.id}`), 200);
  assert.is(moved.validUntil, Math.floor(Date.parse(newTicket.validUntil) / 1000), 'kept as long as the new ticket runs');
  let log = await fingersInLog();
  assert.is(log.get(first.ticket.id), null, 'gates drop the old ticket\'s template');
  assert.is(log.get(renewed.ticket.id), template, 'and take the same template for the new one');

  const reissued = must(await api(cloud.url, `/api/v1/members/cards/${issued.cardNo}/reissue`, {
    token: seller.token, headers: { 'idempotency-key': 'reissue-zhou-1' }, body: { reason: 'lost' },
  }), 201);
  const card2 = await cardTicket(reissued.cardNo);
  assert.is.not(card2.cardNo, issued.cardNo);
  assert.is((await api(cloud.url, `/api/v1/tickets/${renewed.ticket.id}/fingerprint`)).status, 404);
  must(await api(cloud.url, `/api/v1/tickets/${card2.ticket.id}/fingerprint`), 200);
  log = await fingersInLog();
  assert.is(log.get(renewed.ticket.id), null);
  assert.is(log.get(card2.ticket.id), template);
});

test('a card without a fingerprint renews without one', async () => {
  const issued = must(await api(cloud.url, '/api/v1/members/cards', {
    token: seller.token, body: { member: { name: '殷离', phone: '13700009999' }, type: 'annual', kind: 'annual', payment: { method: 'cash' } },
  }), 201);
  const first = await cardTicket(issued.cardNo);
  must(await api(cloud.url, `/api/v1/members/cards/${issued.cardNo}/renew`, {
    token: seller.token, headers: { 'idempotency-key': 'renew-yin-1' }, body: { expiresOn: first.expiresOn, payment: { method: 'cash' } },
  }), 200);
  const renewed = await cardTicket(issued.cardNo);
  assert.is((await api(cloud.url, `/api/v1/tickets/${renewed.ticket.id}/fingerprint`)).status, 404);
});

test.run();
