import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { base32nopad } from '@scure/base';
import vectors from './vectors.json' with { type: 'json' };
import { generateIssuerKey, issuerKeyFromPem, issuerKeyFromSeed, issuerKeyToPem, publicKeyFromRaw, rawPublicKey } from './keys.ts';
import { CODE_TEXT_LENGTH, CODE_TEXT_LENGTH_SLOT, encodeTicketCode, packPayload, readTicketCode, type TicketFacts } from './ticket-code.ts';

const key = issuerKeyFromSeed(Buffer.from(vectors.seedHex, 'hex'));
const keyring = new Map([[key.keyId, key.publicKey]]);

test('vector key matches its published public key and key id', () => {
  assert.is(rawPublicKey(key.publicKey).toString('hex'), vectors.publicKeyHex);
  assert.is(key.keyId, vectors.keyId);
});

test('vectors: payload layout, exact code text, and verification', () => {
  for (const c of vectors.cases) {
    assert.is(packPayload(c.facts, key.keyId).toString('hex'), c.payloadHex, c.name);
    assert.is(encodeTicketCode(c.facts, key), c.code, c.name);
    assert.is(c.code.length, CODE_TEXT_LENGTH);
    // A gate holding only the raw public key verifies it.
    const gateKeys = new Map([[vectors.keyId, publicKeyFromRaw(Buffer.from(vectors.publicKeyHex, 'hex'))]]);
    const r = readTicketCode(c.code, gateKeys);
    assert.equal(r, { ok: true, facts: { ...c.facts, keyId: vectors.keyId } }, c.name);
  }
});

test('codes are QR alphanumeric and accepted in lower case or with a line ending', () => {
  const code = vectors.cases[0]!.code;
  assert.ok(/^[A-Z2-7]+$/.test(code));
  assert.ok(readTicketCode(code.toLowerCase(), keyring).ok);
  assert.ok(readTicketCode(`${code}\r\n`, keyring).ok);
});

test('every single flipped bit of a code is refused', () => {
  const bytes = Buffer.from(base32nopad.decode(vectors.cases[0]!.code));
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const b = Buffer.from(bytes);
    b[bit >> 3]! ^= 1 << (bit & 7);
    const r = readTicketCode(base32nopad.encode(b), keyring);
    assert.not.ok(r.ok, `bit ${bit} flipped was admitted`);
    // Flips in the key id give unknown_key, in version/flags malformed, elsewhere forged.
    if (bit >= 40 && bit < 296) assert.equal(r, { ok: false, reason: 'forged' }, `bit ${bit}`);
  }
});

test('bad input gets its own reason', () => {
  assert.equal(readTicketCode('', keyring), { ok: false, reason: 'empty' });
  assert.equal(readTicketCode('  \r\n', keyring), { ok: false, reason: 'empty' });
  assert.equal(readTicketCode('x'.repeat(10_240), keyring), { ok: false, reason: 'too_long' });
  assert.equal(readTicketCode(randomBytes(100).toString('latin1'), keyring), { ok: false, reason: 'malformed' });
  assert.equal(readTicketCode('A'.repeat(CODE_TEXT_LENGTH), keyring), { ok: false, reason: 'malformed' });
  const stranger = generateIssuerKey();
  const foreign = encodeTicketCode(vectors.cases[0]!.facts, stranger);
  assert.equal(readTicketCode(foreign, keyring), { ok: false, reason: 'unknown_key' });
  // A stranger who copies our key id still cannot sign for it.
  const impostor = { ...stranger, keyId: key.keyId };
  assert.equal(readTicketCode(encodeTicketCode(vectors.cases[0]!.facts, impostor), keyring), { ok: false, reason: 'forged' });
});

test('refuses to encode facts that do not fit the layout', () => {
  const base: TicketFacts = vectors.cases[0]!.facts;
  assert.throws(() => encodeTicketCode({ ...base, persons: 70_000 }, key), /persons out of range/);
  assert.throws(() => encodeTicketCode({ ...base, ticketId: 'nope' }, key), /not a UUID/);
  assert.throws(() => encodeTicketCode({ ...base, validFrom: -1 }, key), /validFrom out of range/);
});

test('issuer keys survive a PEM round trip', () => {
  const k = generateIssuerKey();
  const back = issuerKeyFromPem(issuerKeyToPem(k));
  assert.is(back.keyId, k.keyId);
  const code = encodeTicketCode(vectors.cases[1]!.facts, back);
  assert.ok(readTicketCode(code, new Map([[k.keyId, k.publicKey]])).ok);
});

test('a slot is signed into a version 2 code; version 1 codes stay as they were', () => {
  const base: TicketFacts = vectors.cases[0]!.facts;
  const code = encodeTicketCode({ ...base, slot: { from: '10:00', to: '12:00' } }, key);
  assert.is(code.length, CODE_TEXT_LENGTH_SLOT);
  assert.equal(readTicketCode(code, keyring), { ok: true, facts: { ...base, slot: { from: '10:00', to: '12:00' }, keyId: key.keyId } });
  const late = encodeTicketCode({ ...base, slot: { from: '22:00', to: '24:00' } }, key);
  assert.equal((readTicketCode(late, keyring) as { facts: TicketFacts }).facts.slot, { from: '22:00', to: '24:00' });
  // Without a slot: the version 1 bytes, exactly (the published vectors above still hold).
  assert.is(encodeTicketCode(base, key), vectors.cases[0]!.code);
  // The slot is signed: every flipped bit of it is refused.
  const bytes = Buffer.from(base32nopad.decode(code));
  for (let bit = 38 * 8; bit < 42 * 8; bit++) {
    const b = Buffer.from(bytes);
    b[bit >> 3]! ^= 1 << (bit & 7);
    assert.not.ok(readTicketCode(base32nopad.encode(b), keyring).ok, `slot bit ${bit} flipped was admitted`);
  }
  // A version 1 code cut to version 2's length, or a version 2 byte on a version 1 code, is not a code.
  const v1 = Buffer.from(base32nopad.decode(vectors.cases[0]!.code));
  v1[0] = 2;
  assert.equal(readTicketCode(base32nopad.encode(v1), keyring), { ok: false, reason: 'malformed' });
  assert.throws(() => encodeTicketCode({ ...base, slot: { from: '12:00', to: '10:00' } }, key), /slot out of range/);
});

test.run();
