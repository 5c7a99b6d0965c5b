import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { upBatch, type EntryRecord, type UpBatch } from './messages.ts';
import { MAX_INFLATED, MAX_UP_BYTES, packBatch, readUpload, unpackBatch } from './pack.ts';
import { entryNonce } from './nonce.ts';

const t0 = Date.UTC(2026, 10, 26, 2, 0);
function entry(i: number, over: Partial<EntryRecord> = {}): EntryRecord {
  return {
    nonce: randomUUID(), ticketId: randomUUID(), persons: 1 + (i % 3), lane: i % 2 ? 'lane-1' : 'lane-2', venue: 'main',
    direction: 'in', kind: 'normal', deviceTime: t0 + i * 1500, correctedTime: t0 + i * 1500 - 230, ...over,
  };
}
const batch = (entries: EntryRecord[]): UpBatch => ({ device: 'gate-1', epoch: randomUUID(), firstSeq: 41, lastSeq: 40 + entries.length, entries });

test('round trip: every field of every kind of entry', () => {
  const b = batch([
    entry(0), entry(1, { kind: 'reentry' }), entry(2, { kind: 'exit', direction: 'out' }), entry(3, { kind: 'return', persons: 2 }),
    entry(4, { kind: 'emergency', ticketId: null }), entry(5, { venue: 'garden', lane: 'garden-1', deviceTime: t0 - 5000, correctedTime: t0 + 99_000 }),
    entry(6, { persons: 10_000 }), entry(7, { kind: 'exit_unmatched', direction: 'out' }),
  ]);
  assert.equal(unpackBatch(packBatch(b)), b);
  assert.equal(unpackBatch(Buffer.from(JSON.stringify(b))), b, 'the JSON form is accepted too');
  // A batch must hold one entry per sequence number it claims.
  const claimsMore = { ...batch([entry(1)]), lastSeq: 1000 };
  assert.throws(() => unpackBatch(packBatch(claimsMore)), /sequence range does not match/);
});

test('a batch of 200 entries packs to about the size of its fields', () => {
  const entries = Array.from({ length: 200 }, (_, i) => entry(i));
  const packed = packBatch(batch(entries));
  const json = Buffer.byteLength(JSON.stringify(batch(entries)));
  // A random ticket id and a random nonce (32 bytes) are most of an entry; the rest is a few bytes.
  assert.ok(packed.length / 200 < 42, `${packed.length / 200} bytes per entry`);
  assert.ok(json / packed.length > 5, `JSON is ${json / packed.length}x larger`);
});

test('an HTTP upload: a valid batch of the sender, else too large, not a batch, or another device\'s', () => {
  const b = batch([entry(0), entry(1)]);
  assert.equal(readUpload(packBatch(b), 'gate-1'), { batch: b });
  const refused = (body: Buffer, device = 'gate-1') => {
    const r = readUpload(body, device);
    return 'refused' in r ? [r.refused.code, r.refused.status] : r;
  };
  assert.equal(refused(packBatch(b), 'gate-2'), ['forbidden', 403]);
  assert.equal(refused(Buffer.from('{"device":"gate-1"}')), ['bad_batch', 400]);
  assert.equal(refused(Buffer.alloc(MAX_UP_BYTES + 1, 0x20)), ['too_large', 413]);
});

test('nonces derived from epoch and sequence are not sent, and come back the same', () => {
  const b = batch(Array.from({ length: 200 }, (_, i) => entry(i)));
  const derived = { ...b, entries: b.entries.map((e, i) => ({ ...e, nonce: entryNonce(b.device, b.epoch, b.firstSeq + i) })) };
  const packed = packBatch(derived);
  assert.equal(unpackBatch(packed), derived);
  assert.ok(packBatch(b).length - packed.length > 200 * 15, 'about 16 bytes an entry saved');
  // A mix: one entry whose nonce is not derived keeps its own.
  const mixed = { ...derived, entries: derived.entries.map((e, i) => (i === 7 ? { ...e, nonce: randomUUID() } : e)) };
  assert.equal(unpackBatch(packBatch(mixed)), mixed);
});

test('damaged, hostile or foreign payloads are refused with a reason, never half-read', () => {
  const good = packBatch(batch([entry(1), entry(2)]));
  const bad: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['random bytes', randomBytes(300)],
    ['truncated', good.subarray(0, good.length - 5)],
    ['bad JSON', Buffer.from('{"device":')],
    ['JSON of the wrong shape', Buffer.from('{"device":"x"}')],
    ['zip bomb', deflateRawSync(Buffer.alloc(MAX_INFLATED * 4))],
    ['unknown version', deflateRawSync(Buffer.from([9, 1, 65]))],
  ];
  for (const [name, payload] of bad) assert.throws(() => unpackBatch(payload), undefined, name);
  // Deflate has no checksum, so a flipped bit may still inflate: then it must come out as a
  // complete, valid batch (the schema is checked after decoding), or be refused with an Error.
  for (let i = 0; i < good.length; i++) {
    const b = Buffer.from(good);
    b[i]! ^= 0x10;
    let out: unknown;
    try {
      out = unpackBatch(b);
    } catch (err) {
      assert.instance(err, Error, `flip at byte ${i}`);
      continue;
    }
    assert.ok(upBatch.safeParse(out).success, `flip at byte ${i} decoded to an invalid batch`);
  }
});

test.run();
