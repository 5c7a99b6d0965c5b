import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { EntryRecord, UpBatch } from './messages.ts';
import { mergeBatches, packBundle, unpackBundle, type BundleItem } from './bundle.ts';
import { packBatch } from './pack.ts';
import { entryNonce } from './nonce.ts';

const t0 = Date.UTC(2026, 11, 7, 2, 0);
const epochs = { 'gate-1': randomUUID(), 'gate-2': randomUUID() } as Record<string, string>;
function batch(device: string, firstSeq: number, count: number): UpBatch {
  const epoch = epochs[device]!;
  const entries: EntryRecord[] = Array.from({ length: count }, (_, i) => ({
    nonce: entryNonce(device, epoch, firstSeq + i), ticketId: randomUUID(), persons: 1, lane: `${device}-lane`, venue: 'main',
    direction: 'in', kind: 'normal', deviceTime: t0 + (firstSeq + i) * 1000, correctedTime: t0 + (firstSeq + i) * 1000 - 40,
  }));
  return { device, epoch, firstSeq, lastSeq: firstSeq + count - 1, entries };
}

test('round trip: batches and the messages beside them, in order', () => {
  const items: BundleItem[] = [
    { kind: 'batch', batch: batch('gate-1', 1, 3) },
    { kind: 'batch', batch: batch('gate-2', 7, 1) },
    { kind: 'status', device: 'gate-1', payload: Buffer.from('{"state":"online","mode":"normal"}') },
    { kind: 'reported', device: 'gate-2', payload: Buffer.from('{"mode":"closed","version":4}') },
    { kind: 'cmd/res', device: 'gate-2', payload: Buffer.from('{"id":"c1","state":"done"}') },
  ];
  const got = unpackBundle(packBundle({ id: 4711, items }));
  assert.is(got.id, 4711);
  assert.equal(got.items, items);
});

test('ten gates\' seconds in one bundle cost fewer bytes than their batches alone', () => {
  // What a hub holds after 10 s of 10 gates scanning once a second, each entry sent at once.
  const singles = Object.keys(epochs).flatMap((d) => Array.from({ length: 10 }, (_, i) => batch(d, i + 1, 1)));
  const one = packBundle({ id: 1, items: mergeBatches(singles).map((b) => ({ kind: 'batch' as const, batch: b })) });
  const apart = singles.reduce((n, b) => n + packBatch(b).length, 0);
  const perEntry = one.length / singles.length;
  assert.ok(perEntry < 24, `${perEntry.toFixed(1)} bytes an entry in a bundle (a ticket id alone is 16)`);
  assert.ok(one.length * 3 < apart, `bundle ${one.length} B, the batches one by one ${apart} B`);
});

test('merging: one batch per stream, a re-sent range once, gaps and other epochs kept apart', () => {
  const a = batch('gate-1', 1, 2);
  const b = batch('gate-1', 3, 2);
  const resent = batch('gate-1', 2, 3); // the gate re-sent 2..4 while 1..4 still waited at the hub
  resent.entries = [a.entries[1]!, ...b.entries];
  const other = batch('gate-2', 1, 1);
  const gap = batch('gate-1', 9, 1);
  const newEpoch = { ...batch('gate-1', 5, 1), epoch: randomUUID() };
  const merged = mergeBatches([a, other, b, resent, gap, newEpoch]);
  assert.equal(merged.map((m) => [m.device, m.firstSeq, m.lastSeq, m.entries.length]), [
    ['gate-1', 1, 4, 4], ['gate-2', 1, 1, 1], ['gate-1', 9, 9, 1], ['gate-1', 5, 5, 1],
  ]);
  assert.equal(merged[0]!.entries, [...a.entries, ...b.entries], 'in sequence order');
});

test('hostile bundles are refused with a reason, never half read', () => {
  const good = packBundle({ id: 1, items: [{ kind: 'batch', batch: batch('gate-1', 1, 1) }] });
  assert.throws(() => unpackBundle(good.subarray(0, good.length - 3)), /truncated|unexpected end|invalid/i);
  assert.throws(() => unpackBundle(deflateRawSync(Buffer.from([9, 1, 0]))), /unknown bundle version 9/);
  assert.throws(() => unpackBundle(deflateRawSync(Buffer.from([1, 1, 1, 7]))), /bad item kind 7/);
  assert.throws(() => unpackBundle(deflateRawSync(Buffer.from([1, 1, 0, 0]))), /trailing bytes/);
  assert.throws(() => unpackBundle(deflateRawSync(Buffer.from([1, 1, 0xff, 0xff, 0x03]))), /too many items/);
  // An inflated size far beyond any real bundle: refused before it is in memory.
  assert.throws(() => unpackBundle(deflateRawSync(Buffer.alloc(4 << 20))), /buffer|length|size/i);
});

test.run();
