import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADULT, api, onBothBackends, startTestCloud } from './support/cloud.ts';

/**
 * At peak a window sale is answered from what its transaction wrote, not read back
 * (cloud/office/orders/orders.ts createOrder): the answer must be the order as GET reads it,
 * with several lines (one a group ticket), tickets, and split payments with change. On
 * PGlite, and on the Postgres server when TEST_DATABASE_URL names one.
 */
async function answers(extra: Record<string, unknown>, label: string): Promise<void> {
  const cloud = await startTestCloud(extra);
  try {
    const u = cloud.url;
    assert.is((await api(u, '/api/v1/ticket-types', { body: ADULT })).status, 201, label);
    assert.is((await api(u, '/api/v1/ticket-types', { body: { ...ADULT, code: 'child', name: '儿童票', priceFen: 6000 } })).status, 201, label);
    const sold = await api(u, '/api/v1/orders', {
      headers: { 'Idempotency-Key': `answer-${label}` },
      body: {
        lines: [{ type: 'child', quantity: 2 }, { type: 'adult', quantity: 3, group: 'one' }],
        payments: [{ method: 'cash', amountFen: 20000, tenderedFen: 50000 }, { method: 'card', amountFen: 28000, reference: 'POS-1' }],
      },
    });
    assert.is(sold.status, 201, `${label}: ${JSON.stringify(sold.body)}`);
    assert.is(sold.body.lines.length, 2, label);
    assert.is(sold.body.lines.flatMap((l: any) => l.tickets).length, 3, `${label}: two child tickets and one group ticket`);
    assert.is(sold.body.payments[0].changeFen, 30000, label);
    const read = await api(u, `/api/v1/orders/${sold.body.id}`);
    assert.equal(sold.body, read.body, `${label}: the answer is the order as read back`);
    // A retry with the key answers the same.
    const again = await api(u, '/api/v1/orders', {
      headers: { 'Idempotency-Key': `answer-${label}` },
      body: {
        lines: [{ type: 'child', quantity: 2 }, { type: 'adult', quantity: 3, group: 'one' }],
        payments: [{ method: 'cash', amountFen: 20000, tenderedFen: 50000 }, { method: 'card', amountFen: 28000, reference: 'POS-1' }],
      },
    });
    assert.equal(again.body, read.body, label);
  } finally {
    await cloud.cleanup();
  }
}

onBothBackends(test, 'a window sale answers the order as GET reads it', answers);

test.run();
