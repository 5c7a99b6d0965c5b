import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FaceGallery } from './gallery.ts';
import { decodeEmbedding, encodeEmbedding, FaceSealError, loadOrCreateKey, seal, unseal } from '../../shared/face/seal.ts';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const random = rng(42);
const vec = (d = 128) => Float32Array.from({ length: d }, () => random() * 0.2 - 0.1);

function brute(all: Map<string, Float32Array>, q: Float32Array): { id: string; distance: number }[] {
  return [...all].map(([id, v]) => ({ id, distance: Math.sqrt(v.reduce((s, x, i) => s + (x - q[i]!) ** 2, 0)) }))
    .sort((a, b) => a.distance - b.distance).slice(0, 2);
}

test('small gallery: exact nearest two, updates and removals', async () => {
  const g = new FaceGallery(128);
  const all = new Map<string, Float32Array>();
  for (let i = 0; i < 300; i++) { const v = vec(); g.set(`t${i}`, v); all.set(`t${i}`, v); }
  for (let i = 0; i < 100; i += 3) { g.remove(`t${i}`); all.delete(`t${i}`); }
  const moved = vec();
  g.set('t1', moved);
  all.set('t1', moved);
  assert.is(g.size, all.size);
  for (let k = 0; k < 20; k++) {
    const q = vec();
    const got = await g.search(q);
    const want = brute(all, q);
    assert.equal(got.map((h) => h.id), want.map((h) => h.id));
    assert.ok(Math.abs(got[0]!.distance - want[0]!.distance) < 1e-5);
  }
  assert.is((await g.search(moved))[0]!.id, 't1', 'an updated face is found by its new vector');
  await g.close();
});

test('large gallery through the compiled index: same answers as a scan, before and after changes', async () => {
  const g = new FaceGallery(128);
  const all = new Map<string, Float32Array>();
  for (let i = 0; i < 6000; i++) { const v = vec(); g.set(`t${i}`, v); all.set(`t${i}`, v); }
  await g.rebuild();
  const check = async (label: string) => {
    for (let k = 0; k < 15; k++) {
      // Probes near a stored face (as a real match is) and random ones.
      const base = k % 2 === 0 ? [...all.values()][Math.floor(random() * all.size)]! : vec();
      const q = base.map((x) => x + (random() - 0.5) * 0.01);
      assert.equal((await g.search(q)).map((h) => h.id), brute(all, q).map((h) => h.id), label);
    }
  };
  await check('fresh index');
  // Changes after the build: removed faces never come back, new and moved ones are found.
  for (let i = 0; i < 500; i++) { g.remove(`t${i * 7}`); all.delete(`t${i * 7}`); }
  for (let i = 0; i < 300; i++) { const v = vec(); g.set(`n${i}`, v); all.set(`n${i}`, v); }
  const target = all.get('t1')!;
  g.remove('t1');
  all.delete('t1');
  assert.not.equal((await g.search(target))[0]!.id, 't1', 'a removed face is not matched');
  await check('after changes');
  await g.rebuild();
  await check('rebuilt');
  await g.close();
});

test('sealed embeddings: round trip, bound to ticket and model, key file 0600', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-face-key-'));
  try {
    const keyPath = join(dir, 'face.key');
    const key = loadOrCreateKey(keyPath);
    assert.is(statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(loadOrCreateKey(keyPath), key, 'the same key on the next start');
    const v = vec();
    const s = seal(key, 'ticket-a', 'm1', v);
    assert.not.ok(s.includes(Buffer.from(v.buffer)), 'no plaintext in the sealed record');
    assert.equal(Array.from(unseal(key, 'ticket-a', 'm1', s)), Array.from(v));
    assert.throws(() => unseal(key, 'ticket-b', 'm1', s), (e: unknown) => e instanceof FaceSealError, 'copied onto another ticket');
    assert.throws(() => unseal(key, 'ticket-a', 'm2', s), (e: unknown) => e instanceof FaceSealError, 'another model');
    const flipped = Buffer.from(s);
    flipped[40]! ^= 1;
    assert.throws(() => unseal(key, 'ticket-a', 'm1', flipped), (e: unknown) => e instanceof FaceSealError, 'altered');
    assert.throws(() => unseal(Buffer.alloc(32, 9), 'ticket-a', 'm1', s), (e: unknown) => e instanceof FaceSealError, 'wrong key');
    assert.equal(Array.from(decodeEmbedding(encodeEmbedding(v))), Array.from(v));
    assert.throws(() => decodeEmbedding('AAA'), (e: unknown) => e instanceof FaceSealError);
    assert.throws(() => decodeEmbedding('not base64 of floats!'), (e: unknown) => e instanceof FaceSealError);
    assert.throws(() => decodeEmbedding(Buffer.from(new Float32Array([1, NaN]).buffer).toString('base64')), (e: unknown) => e instanceof FaceSealError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
