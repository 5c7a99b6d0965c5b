import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate } from './support/gate.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

test('window sales reach the gate; a reissued card and a refunded ticket are refused there after sync', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-1', lanes: ['lane-1'] }]);
  const gate = await startTestGate({ device: 'gate-1', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl });
  try {
    const u = cloud.url;
    const { sellers: [s] } = await seedOffice(u);
    must(await api(u, '/api/v1/shifts', { token: s!.token, body: { floatFen: 0 } }), 201);
    const o = must(await api(u, '/api/v1/orders', { token: s!.token, body: {
      lines: [{ type: 'adult', quantity: 1, cards: ['04A1B2C3'] }, { type: 'child', quantity: 2 }], payments: [cash(24000, 30000)],
    } }), 201);
    const carded = o.lines[0].tickets[0];
    const [c1, c2] = o.lines[1].tickets;
    await waitFor('tickets at the gate', () => gate.agent.store.ticket(carded.id) && gate.agent.store.ticket(c2.id));
    const card = { kind: 'card' as const, value: '04A1B2C3' };
    assert.ok(gate.agent.evaluate(card).verdict.admit, 'the card sold at the window opens the gate');
    assert.ok(gate.agent.evaluate(c1.code).verdict.admit, 'the printed code too');

    // Lost card: reported and reissued on a new card; the old one is refused from the next pull.
    const re = must(await api(u, `/api/v1/tickets/${carded.id}/reissue`, { token: s!.token, body: { reason: 'lost', card: '04FFEE0102' } }), 201);
    // The old card's binding ended with its ticket: the gate no longer knows the card (it can be issued again).
    await waitFor('old card refused at the gate', () => !gate.agent.evaluate(card).verdict.admit, 10_000);
    assert.is((gate.agent.evaluate(card).verdict as { reason?: string }).reason, 'unknown');
    await waitFor('new card at the gate', () => gate.agent.evaluate({ kind: 'card', value: '04FFEE0102' }).verdict.admit);
    assert.is(gate.agent.evaluate({ kind: 'card', value: '04FFEE0102' }).ticketId, re.ticket.id);

    // Refund of one child ticket: revoked at the gate; the other still admits.
    must(await api(u, `/api/v1/orders/${o.id}/refunds`, { body: { tickets: [c1.id], method: 'cash', reason: '游客退票' } }), 201);
    await waitFor('refunded ticket refused', () => !gate.agent.evaluate(c1.code).verdict.admit);
    assert.is((gate.agent.evaluate(c1.code).verdict as { reason?: string }).reason, 'revoked');
    assert.ok(gate.agent.evaluate(c2.code).verdict.admit);
  } finally {
    await gate.cleanup();
    await cloud.cleanup();
  }
});

test.run();
