import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { issuerKeyFromSeed, rawPublicKey } from '../../shared/code/keys.ts';
import { encodeTicketCode } from '../../shared/code/ticket-code.ts';
import { comparable, loadDecisionTable, loadPickTable, othersInside, pickLabel, verdictPart, type TableCase } from '../../shared/rules/table.ts';
import { keyedCredential, storedCredential } from '../../shared/rules/credential.ts';
import type { Change } from '../../shared/sync/messages.ts';
import { startTestGate } from '../../test/support/gate.ts';

// The shared decision table, decided by a real gate: rules, lanes, history and revocations
// come through its SQLite cache exactly as they would from the change log.
const key = issuerKeyFromSeed(Buffer.alloc(32, 7));
const cases = loadDecisionTable();

async function decideAtGate(c: TableCase, via: 'code' | 'barcode', slotFrom: 'cache' | 'code' = 'cache') {
  const q = c.question;
  const gate = await startTestGate({ device: 'gate-t', lane: q.lane.lane, timeZone: q.tz }, { start: false, now: () => q.now });
  try {
    const store = gate.agent.store;
    let seq = 0;
    const changes: Change[] = [
      { seq: ++seq, kind: 'key', keyId: key.keyId, publicKey: rawPublicKey(key.publicKey).toString('hex') },
      ...(q.type ? [{ seq: ++seq, kind: 'type' as const, typeId: q.facts.typeId, rules: q.type }] : []),
      ...[q.lane, ...(q.siteLanes ?? [])].map((rules) => ({ seq: ++seq, kind: 'lane' as const, rules })),
      { seq: ++seq, kind: 'ticket', ticket: { id: q.facts.ticketId, typeId: q.facts.typeId, validFrom: q.facts.validFrom, validUntil: q.facts.validUntil, persons: q.facts.persons, entries: q.facts.entries } },
      { seq: ++seq, kind: 'credential', credential: 'barcode', value: '6901234567892', ticketId: q.facts.ticketId },
      ...(q.revoked ? [{ seq: ++seq, kind: 'revoke' as const, ticketId: q.facts.ticketId, reason: q.revoked }] : []),
      ...(q.mode !== 'normal' ? [{ seq: ++seq, kind: 'mode' as const, device: '', mode: q.mode }] : []),
      ...(q.venue ? [{ seq: ++seq, kind: 'venue' as const, rules: q.venue }] : []),
      ...(q.slot && slotFrom === 'cache' ? [{ seq: ++seq, kind: 'slot' as const, ticketId: q.facts.ticketId, slot: q.slot }] : []),
    ];
    const desired = store.applyBatch({ since: 0, next: seq, more: false, serverTime: q.now, changes }, 'gate-t');
    if (desired) store.offerDesired(desired);
    store.addSiblingEntries('gate-x', q.history.map((p) => ({
      nonce: randomUUID(), ticketId: q.facts.ticketId, persons: p.persons, lane: p.lane, venue: p.venue, direction: p.direction,
      kind: p.kind, deviceTime: p.at, correctedTime: p.at,
    })));
    // The count of the case: others' passages the gate heard; it hears its site unless the case says the count is stale.
    const others = othersInside(q);
    if (others > 0) {
      store.addSiblingEntries('gate-x', [{ nonce: randomUUID(), ticketId: null, persons: others, lane: 'lane-0', venue: q.lane.venue, direction: 'in', kind: 'emergency', deviceTime: q.now - 1000, correctedTime: q.now - 1000 }]);
    }
    store.siteConnected = () => !q.inPark?.stale;
    const input = via === 'code' ? encodeTicketCode({ ...q.facts, ...(slotFrom === 'code' && q.slot ? { slot: q.slot } : {}) }, key) : '6901234567892';
    return gate.agent.evaluate(input, { direction: q.direction, persons: q.persons }).verdict;
  } finally {
    await gate.cleanup();
  }
}

// The site's credential key, as HQ sends it with each pull: card UIDs and ID numbers are cached as keyed hashes.
const credKey = Buffer.alloc(32, 9);

test('decision table: one credential, several tickets: the gate picks from its cache', async () => {
  for (const c of loadPickTable()) {
    const q0 = c.tickets[0]!.question;
    const gate = await startTestGate({ device: 'gate-t', lane: q0.lane.lane, timeZone: q0.tz }, { start: false, now: () => q0.now });
    try {
      const store = gate.agent.store;
      let seq = 0;
      const value = keyedCredential(credKey, c.credential.kind, storedCredential(c.credential.kind, c.credential.value));
      const changes: Change[] = [
        ...[q0.lane, ...(q0.siteLanes ?? [])].map((rules) => ({ seq: ++seq, kind: 'lane' as const, rules })),
      ];
      for (const { question: q } of c.tickets) {
        if (q.type) changes.push({ seq: ++seq, kind: 'type', typeId: q.facts.typeId, rules: q.type });
        changes.push({ seq: ++seq, kind: 'ticket', ticket: { id: q.facts.ticketId, typeId: q.facts.typeId, validFrom: q.facts.validFrom, validUntil: q.facts.validUntil, persons: q.facts.persons, entries: q.facts.entries } });
        changes.push({ seq: ++seq, kind: 'credential', credential: c.credential.kind, value, ticketId: q.facts.ticketId });
        // A refund revokes the ticket and ends its binding, as HQ's change log says.
        if (q.revoked) changes.push({ seq: ++seq, kind: 'revoke', ticketId: q.facts.ticketId, reason: q.revoked }, { seq: ++seq, kind: 'unbind', credential: c.credential.kind, value, ticketId: q.facts.ticketId });
      }
      store.applyBatch({ since: 0, next: seq, more: false, serverTime: q0.now, changes, credentialKey: credKey.toString('hex') }, 'gate-t');
      for (const { question: q } of c.tickets) {
        store.addSiblingEntries('gate-x', q.history.map((p) => ({
          nonce: randomUUID(), ticketId: q.facts.ticketId, persons: p.persons, lane: p.lane, venue: p.venue, direction: p.direction, kind: p.kind, deviceTime: p.at, correctedTime: p.at,
        })));
      }
      const r = gate.agent.evaluate({ kind: c.credential.kind, value: c.credential.value }, { direction: q0.direction, persons: q0.persons });
      assert.is(pickLabel(c, r.ticketId), c.expect.ticket, c.name);
      const e = verdictPart(c.expect);
      assert.equal(comparable(r.verdict, e), e, c.name);
    } finally {
      await gate.cleanup();
    }
  }
});

test('decision table: the gate, presented a signed code', async () => {
  for (const c of cases) assert.equal(comparable(await decideAtGate(c, 'code'), c.expect), c.expect, c.name);
});

test('decision table: slot cases decided from the slot signed into the code, before the ticket reached the cache', async () => {
  const slotted = cases.filter((c) => c.question.slot);
  assert.ok(slotted.length >= 3, 'the table has slot cases');
  for (const c of slotted) assert.equal(comparable(await decideAtGate(c, 'code', 'code'), c.expect), c.expect, c.name);
});

test('decision table: the gate, presented a barcode resolved from its cache', async () => {
  for (const c of cases) assert.equal(comparable(await decideAtGate(c, 'barcode'), c.expect), c.expect, c.name);
});

test.run();
