import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issuerKeyFromSeed, rawPublicKey } from '../shared/code/keys.ts';
import { encodeTicketCode } from '../shared/code/ticket-code.ts';
import { laneRules } from '../shared/rules/model.ts';
import { startTestGate } from './support/gate.ts';

// A key HQ delegated to a site hub is trusted by the site's gates only for codes that end by
// the delegation's limit: a hub key taken away after its delegation ran out signs nothing
// a gate admits. HQ's own key (no limit) is unaffected.
const hubKey = issuerKeyFromSeed(Buffer.alloc(32, 0x41));
const hqKey = issuerKeyFromSeed(Buffer.alloc(32, 0x42));
const DAY = 86_400;

test('a gate trusts a delegated hub key for codes ending by its limit, and the limit moves with a renewal', async () => {
  const now = Date.UTC(2026, 6, 1, 3, 0, 0);
  const gate = await startTestGate({ device: 'gate-d', lane: 'lane-1' }, { start: false, now: () => now });
  try {
    const s = now / 1000;
    const limit = s + 2 * DAY;
    const key = (k: typeof hubKey, notAfter?: number) => ({ kind: 'key' as const, keyId: k.keyId, publicKey: rawPublicKey(k.publicKey).toString('hex'), ...(notAfter ? { notAfter } : {}) });
    gate.agent.store.applyBatch({ since: 0, next: 3, more: false, serverTime: now, changes: [
      { seq: 1, ...key(hqKey) }, { seq: 2, ...key(hubKey, limit) },
      { seq: 3, kind: 'lane', rules: laneRules.parse({ lane: 'lane-1' }) },
    ] }, 'gate-d');
    const facts = (validUntil: number) => ({ ticketId: randomUUID(), typeId: 1, validFrom: s - 3600, validUntil, persons: 1, entries: 1 });
    const within = await gate.agent.evaluate(encodeTicketCode(facts(limit), hubKey), { direction: 'in', persons: 1 });
    assert.is(within.verdict.admit, true, JSON.stringify(within.verdict));
    const beyond = await gate.agent.evaluate(encodeTicketCode(facts(limit + 1), hubKey), { direction: 'in', persons: 1 });
    assert.ok(!beyond.verdict.admit && beyond.verdict.reason === 'unknown_key', JSON.stringify(beyond.verdict));
    const hq = await gate.agent.evaluate(encodeTicketCode(facts(s + 30 * DAY), hqKey), { direction: 'in', persons: 1 });
    assert.is(hq.verdict.admit, true, 'HQ\'s key has no limit');
    // HQ renews the delegation while the hub's line is up.
    gate.agent.store.applyBatch({ since: 3, next: 4, more: false, serverTime: now, changes: [{ seq: 4, ...key(hubKey, limit + DAY) }] }, 'gate-d');
    const renewed = await gate.agent.evaluate(encodeTicketCode(facts(limit + 1), hubKey), { direction: 'in', persons: 1 });
    assert.is(renewed.verdict.admit, true, 'trusted up to the renewed limit');
    assert.is(gate.agent.store.keyLimit(hubKey.keyId), limit + DAY);
  } finally {
    await gate.cleanup();
  }
});

test.run();
