import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issuerKeyFromSeed, rawPublicKey } from '../../shared/code/keys.ts';
import { encodeTicketCode, type TicketFacts } from '../../shared/code/ticket-code.ts';
import { typeRules } from '../../shared/rules/model.ts';
import type { Change, ChangeBody } from '../../shared/sync/messages.ts';
import { startTestGate, type TestGate } from '../../test/support/gate.ts';
import type { FaceHooks, FaceVerifier } from '../gate/face.ts';

/**
 * The gate and a verifier: a ticket type with `livenessRequired` is admitted by face only when
 * the verifier finds the face live (after 1:N, and after a credential's 1:1); other types do
 * not ask; the verifier's prompts reach the lane's display.
 */
const key = issuerKeyFromSeed(Buffer.alloc(32, 5));
const now = Date.now();
const facts = (typeId: number): TicketFacts => ({
  ticketId: crypto.randomUUID(), typeId, validFrom: Math.floor(now / 1000) - 3600, validUntil: Math.floor(now / 1000) + 86_400, persons: 1, entries: 0,
});
function load(gate: TestGate, changes: ChangeBody[]): void {
  const all = [{ kind: 'key', keyId: key.keyId, publicKey: rawPublicKey(key.publicKey).toString('hex') }, ...changes]
    .map((c, i) => ({ ...c, seq: gate.agent.store.checkpoint() + i + 1 })) as Change[];
  gate.agent.store.applyBatch({ since: gate.agent.store.checkpoint(), next: all[all.length - 1]!.seq, more: false, serverTime: now, changes: all }, gate.agent.config.device);
}
const ticketChange = (f: TicketFacts) => ({ kind: 'ticket' as const, ticket: { id: f.ticketId, typeId: f.typeId, validFrom: f.validFrom, validUntil: f.validUntil, persons: f.persons, entries: f.entries } });

test('livenessRequired: face_not_live unless the verifier sees the face live', async () => {
  const annual = facts(7), plain = facts(8);
  let who = annual.ticketId;
  let live = false;
  const asked: { liveness?: boolean }[] = [];
  let hooks: FaceHooks | undefined;
  const face: FaceVerifier = {
    start: async (_s, h) => { hooks = h; },
    verify: async (r) => { asked.push({ liveness: r.liveness }); return r.liveness && !live ? 'not_live' : 'match'; },
    identify: async () => ({ result: 'match', ticketId: who, distance: 0.2 }),
    live: async () => live,
  };
  const gate = await startTestGate({ device: 'g-live' }, { face });
  try {
    load(gate, [
      { kind: 'type', typeId: 7, rules: typeRules.parse({ kind: 'member', faceRequired: true, livenessRequired: true }) },
      { kind: 'type', typeId: 8, rules: typeRules.parse({ kind: 'member', faceRequired: true }) },
      ticketChange(annual), ticketChange(plain),
    ]);
    const refused = await gate.agent.presentFace();
    assert.is(refused.reason, 'face_not_live');
    assert.is(refused.message, '未通过活体检测，请本人缓慢转头或到人工通道');
    live = true;
    assert.is((await gate.agent.presentFace()).admit, true);
    live = false;
    who = plain.ticketId;
    assert.is((await gate.agent.presentFace()).admit, true, 'a type without the requirement does not ask');
    // After a credential: the 1:1 check is asked for liveness by the type.
    assert.is((await gate.agent.present(encodeTicketCode(annual, key))).reason, 'face_not_live');
    assert.is((await gate.agent.present(encodeTicketCode(plain, key))).admit, true);
    assert.equal(asked, [{ liveness: true }, { liveness: false }]);
    hooks!.prompt({ id: 'face_adjust', message: '请正对镜头', messageEn: 'Please face the camera' });
    await new Promise((r) => setImmediate(r));
    assert.is(gate.display.lines[0], '请正对镜头', 'the verifier\'s prompt is on the lane display');
  } finally {
    await gate.cleanup();
  }
});

test.run();
