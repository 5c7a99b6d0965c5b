import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { changeBatch } from '../shared/sync/messages.ts';
import { openGateDb } from '../edge/gate/db/open.ts';
import { GateStore } from '../edge/gate/store.ts';

const ticketId = '018f0000-0000-7000-8000-000000000001';

test('a gate takes a batch with a booking change: ignores the booking, keeps the rest and the checkpoint', () => {
  const store = new GateStore(openGateDb(':memory:'));
  const batch = changeBatch.parse({
    log: 'log-1', since: 0, next: 3, more: false, serverTime: Date.now(),
    changes: [
      { seq: 1, kind: 'ticket', ticket: { id: ticketId, typeId: 1, validFrom: 0, validUntil: 4_000_000_000, persons: 2, entries: 1 } },
      {
        seq: 2, kind: 'booking', booking: {
          orderNo: 'B261125ABCDEF', pickupCode: 'BKABCDEFGH', visitDay: '2026-11-25', validUntil: 4_000_000_000, state: 'issued',
          phoneHash: 'a'.repeat(64), phoneLast4: '5678', idHash: null, contactName: '张三',
          tickets: [{ id: ticketId, code: 'X'.repeat(164), typeId: 1, persons: 2 }],
        },
      },
      { seq: 3, kind: 'revoke', ticketId, reason: 'cancelled' },
    ],
  });
  store.applyBatch(batch, 'gate-1');
  assert.is(store.checkpoint(), 3);
  assert.is(store.ticket(ticketId)?.persons, 2);
});

test.run();
