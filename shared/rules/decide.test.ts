import { test } from 'uvu';
import * as assert from 'uvu/assert';
import table from './decisions.json' with { type: 'json' };
import { decideEntry } from './decide.ts';
import { admitMessage, refusalMessage, REFUSALS } from './reasons.ts';

const ticket = { ticketId: '0190d3a2-7c4e-7a11-9b2c-3d4e5f607182', typeId: 1 };

test('decision table', () => {
  for (const c of table.cases) {
    const v = decideEntry({
      facts: { ...ticket, ...c.facts }, consumed: c.consumed, revoked: c.revoked ?? null,
      persons: c.persons, now: c.now,
    });
    const got = v.admit ? v : { admit: false, reason: v.reason };
    assert.equal(got, c.verdict, c.name);
  }
});

test('every refusal has a message in both languages, with what would pass', () => {
  for (const r of REFUSALS) {
    assert.ok(refusalMessage(r).length > 0, r);
    assert.ok(refusalMessage(r, {}, 'en').length > 0, r);
  }
  const detail = { validFrom: Date.UTC(2026, 10, 26, 0, 0), tz: 'Asia/Shanghai' };
  assert.is(refusalMessage('not_yet_valid', detail), '未到有效期，2026-11-26 08:00 起可入园');
  assert.is(refusalMessage('not_yet_valid', detail, 'en'), 'Not valid yet: entry from 2026-11-26 08:00');
  assert.is(refusalMessage('revoked', { revokeReason: 'refunded' }), '票已作废（已退票）');
  assert.is(admitMessage(3, 2, 'en'), 'Welcome: 3 persons, 2 left');
});

test.run();
