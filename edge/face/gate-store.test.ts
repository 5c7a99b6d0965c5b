import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Change, ChangeBody } from '../../shared/sync/messages.ts';
import { openGateDb } from '../gate/db/open.ts';
import { GateStore, type FaceChange } from '../gate/store.ts';
import { encodeEmbedding, loadOrCreateKey } from '../../shared/face/seal.ts';

/** Faces in the gate's store: sealed on arrival, removed by HQ or by expiry, dropped on reset. */
const now = Math.floor(Date.now() / 1000);
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const emb = (x: number) => Float32Array.from({ length: 128 }, (_, i) => x + i / 1000);

function apply(store: GateStore, bodies: ChangeBody[]): void {
  const from = store.checkpoint();
  const changes = bodies.map((b, i) => ({ ...b, seq: from + i + 1 })) as Change[];
  store.applyBatch({ since: from, next: from + changes.length, more: false, serverTime: Date.now(), changes }, 'g1');
}

test('faces arrive sealed, are removed by HQ, expire, and go with a cache reset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-gate-faces-'));
  try {
    const store = new GateStore(openGateDb(join(dir, 'gate.sqlite')), { faceKey: () => loadOrCreateKey(join(dir, 'face.key')) });
    const heard: { changes: FaceChange[]; reset?: boolean }[] = [];
    store.onFaces = (changes, reset) => heard.push({ changes, reset });
    apply(store, [
      { kind: 'face', ticketId: id(1), model: 'm', embedding: encodeEmbedding(emb(0.1)), validUntil: now + 3600 },
      { kind: 'face', ticketId: id(2), model: 'm', embedding: encodeEmbedding(emb(0.2)), validUntil: now + 60 },
      { kind: 'face', ticketId: id(3), model: 'm', embedding: encodeEmbedding(new Float32Array([1])), validUntil: now + 3600 }, // well-formed, if short
      { kind: 'face', ticketId: id(4), model: 'm', embedding: 'not base64 of floats!', validUntil: now + 3600 },
    ]);
    assert.equal(Array.from(store.face(id(1), now)!.embedding), Array.from(emb(0.1)));
    assert.is(store.face(id(4), now), undefined, 'a corrupt face is dropped, the batch still applied');
    assert.is(store.checkpoint(), 4);
    assert.equal(heard[0]!.changes.map((c) => c.ticketId), [id(1), id(2), id(3)]);
    const row = store.db.$client.prepare('select sealed from faces where ticket_id = ?').get(id(1)) as { sealed: Buffer };
    assert.not.ok(row.sealed.includes(Buffer.from(emb(0.1).buffer).subarray(0, 32)), 'no plaintext embedding in the file');

    apply(store, [{ kind: 'face', ticketId: id(3), model: 'm', embedding: null, validUntil: now + 3600 }]);
    assert.is(store.face(id(3), now), undefined, 'removed at HQ');
    assert.is(heard[1]!.changes[0]!.embedding, null);

    assert.is(store.face(id(2), now + 120), undefined, 'not handed out after expiry');
    assert.equal(store.purgeExpiredFaces(now + 120), [id(2)]);
    assert.equal([...store.faces(now)].map((f) => f.ticketId), [id(1)]);

    // Another key (a copied database on another gate) cannot read them.
    const other = new GateStore(store.db, { faceKey: () => Buffer.alloc(32, 7) });
    assert.throws(() => other.face(id(1), now));

    store.resetCache('another-log');
    assert.equal([...store.faces(now)], []);
    assert.is(heard[heard.length - 1]!.reset, true);
    store.db.$client.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a face key, face changes are not kept (and nothing breaks)', () => {
  const store = new GateStore(openGateDb(':memory:'));
  apply(store, [{ kind: 'face', ticketId: id(1), model: 'm', embedding: encodeEmbedding(emb(0.1)), validUntil: now + 3600 }]);
  assert.is(store.checkpoint(), 1);
  assert.is(store.face(id(1), now), undefined);
  assert.is((store.db.$client.prepare('select count(*) n from faces').get() as { n: number }).n, 0);
  store.db.$client.close();
});

test.run();
