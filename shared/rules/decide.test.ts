import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideEntry } from './decide.ts';
import { pickTicket } from './pick.ts';
import { admitMessage, refusalMessage, REFUSALS } from './reasons.ts';
import { comparable, loadDecisionTable, loadPickTable, pickLabel, verdictPart } from './table.ts';

const cases = loadDecisionTable();

test('decision table: the engine', () => {
  for (const c of cases) assert.equal(comparable(decideEntry(c.question), c.expect), c.expect, c.name);
});

test('decision table: one credential, several tickets: the engine picks', () => {
  for (const c of loadPickTable()) {
    const pick = pickTicket(c.tickets.map((t) => t.question));
    assert.is(pickLabel(c, pick.chosen.facts.ticketId), c.expect.ticket, c.name);
    if (c.expect.among !== undefined) assert.is(pick.among, c.expect.among, c.name);
    const e = verdictPart(c.expect);
    assert.equal(comparable(pick.verdict, e), e, c.name);
  }
});

test('the table covers every refusal the engine can give on its own', () => {
  const engineReasons = REFUSALS.filter((r) => !['empty', 'too_long', 'malformed', 'unknown_key', 'forged', 'unknown'].includes(r) && !r.startsWith('face') && r !== 'no_face' && r !== 'several_faces'
    && !r.startsWith('finger') && r !== 'no_finger'); // the face and fingerprint checks are the gate's, after the engine
  const seen = new Set(cases.map((c) => c.expect.reason).filter(Boolean));
  for (const r of engineReasons) assert.ok(seen.has(r), `no case refuses with ${r}`);
  const kinds = new Set(cases.filter((c) => c.expect.admit).map((c) => c.expect.kind ?? 'normal'));
  for (const k of ['normal', 'reentry', 'exit', 'exit_unmatched', 'emergency']) assert.ok(kinds.has(k), `no case admits as ${k}`);
});

test('every refusal has a message in both languages', () => {
  for (const r of REFUSALS) {
    assert.ok(refusalMessage(r).length > 0, r);
    assert.ok(/^[\x20-\x7e]+$/.test(refusalMessage(r, {}, 'en')), `English message of ${r} is ASCII`);
  }
  assert.is(admitMessage(3, 2, 'en'), 'Welcome: 3 persons, 2 left');
  assert.is(admitMessage(1, null, 'zh-CN', 'exit'), '请通行 1 人，欢迎再来');
});

test.run();
