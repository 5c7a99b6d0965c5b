import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AppError } from '../http/errors.ts';
import { splitRefund } from './refund.ts';

// Payment rows as the ledger keeps them: charges positive, refunds negative.
let n = 0;
const pay = (method: string, amountFen: number, minute: number) => ({
  id: `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`, orderId: 'o', shiftId: null, userId: null, book: 'office', method, amountFen,
  tenderedFen: null, changeFen: null, reference: null, refundId: amountFen < 0 ? 'r' : null, createdAt: new Date(Date.UTC(2026, 10, 1, 9, minute)),
});
const code = (f: () => unknown) => {
  try { f(); } catch (e) { return (e as AppError).code; }
  return 'none';
};

test('no rule: original methods, newest payment first', () => {
  const ps = [pay('card', 20000, 1), pay('cash', 16000, 2)];
  assert.equal(splitRefund(ps, 10000, {}), [{ method: 'cash', amountFen: 10000 }]);
  assert.equal(splitRefund(ps, 30000, {}), [{ method: 'cash', amountFen: 16000 }, { method: 'card', amountFen: 14000 }]);
});

test('what was refunded before is not given back twice', () => {
  const ps = [pay('card', 20000, 1), pay('cash', 16000, 2), pay('cash', -10000, 3)];
  assert.equal(splitRefund(ps, 10000, {}), [{ method: 'cash', amountFen: 6000 }, { method: 'card', amountFen: 4000 }]);
  assert.is(code(() => splitRefund(ps, 26001, {})), 'refund_exceeds_paid');
});

test('one method, or explicit parts: never more than that method paid, parts add up', () => {
  const ps = [pay('voucher', 3000, 1), pay('deposit', 10000, 2), pay('cash', 5000, 3)];
  assert.equal(splitRefund(ps, 4000, { method: 'deposit' }), [{ method: 'deposit', amountFen: 4000 }]);
  assert.is(code(() => splitRefund(ps, 6000, { method: 'cash' })), 'refund_exceeds_method');
  assert.equal(splitRefund(ps, 6000, { parts: [{ method: 'voucher', amountFen: 1000 }, { method: 'cash', amountFen: 5000 }] }),
    [{ method: 'voucher', amountFen: 1000 }, { method: 'cash', amountFen: 5000 }]);
  assert.is(code(() => splitRefund(ps, 6000, { parts: [{ method: 'cash', amountFen: 6000 }] })), 'refund_exceeds_method');
  assert.is(code(() => splitRefund(ps, 6000, { parts: [{ method: 'cash', amountFen: 5000 }] })), 'refund_split_mismatch');
  assert.is(code(() => splitRefund(ps, 1000, { method: 'card' })), 'refund_exceeds_method');
});

test.run();
