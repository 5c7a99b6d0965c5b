import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EntryRecord, UpBatch } from '../../shared/sync/messages.ts';
import { packBatch, unpackBatch } from '../../shared/sync/pack.ts';
import { HubStore } from './store.ts';
import { UpStreams } from './streams.ts';

const EPOCH = randomUUID();
const TOPIC = 'tk/v1/demo/g1/up';
const route = { retain: false, lastValue: false };

function entry(seq: number): EntryRecord {
  return { nonce: randomUUID(), ticketId: randomUUID(), lane: 'l1', venue: 'main', direction: 'in', kind: 'normal', persons: 1, deviceTime: 1_700_000_000_000 + seq, correctedTime: 1_700_000_000_000 + seq };
}
const log = Array.from({ length: 20 }, (_, i) => entry(i + 1));
const batch = (first: number, last: number): UpBatch => ({ device: 'g1', epoch: EPOCH, firstSeq: first, lastSeq: last, entries: log.slice(first - 1, last) });
const ranges = (store: HubStore) => store.queuedAfter(0, 100).map((r) => { const b = unpackBatch(r.payload); return [b.firstSeq, b.lastSeq]; });

test('a re-sent range the hub holds is not queued again; only its new entries are', () => {
  const store = HubStore.open(':memory:');
  const streams = new UpStreams(store);
  for (let s = 1; s <= 5; s++) assert.ok(streams.take(TOPIC, packBatch(batch(s, s)), route, 0).queued);
  // The gate's ack is late: it re-sends 1..7 from its ack point (6 and 7 new).
  const again = streams.take(TOPIC, packBatch(batch(1, 7)), route, 0);
  assert.ok(again.queued);
  assert.equal(ranges(store), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 7]], 'only 6..7 queued beside what was held');
  assert.equal(unpackBatch(store.queuedAfter(5, 1)[0]!.payload).entries.map((e) => e.nonce), [log[5]!.nonce, log[6]!.nonce], 'the entries themselves, as sent');
  assert.not.ok(streams.take(TOPIC, packBatch(batch(2, 6)), route, 0).queued, 'all held: nothing queued');
  assert.is(store.queueStats().messages, 6);
  store.close();
});

test('what HQ acked is answered at once; a gap HQ lost is forwarded again; the index survives a restart', () => {
  const store = HubStore.open(':memory:');
  let streams = new UpStreams(store);
  for (let s = 1; s <= 4; s++) streams.take(TOPIC, packBatch(batch(s, s)), route, 0);
  const ids = store.queuedAfter(0, 10).map((r) => r.id);
  // HQ acks the bundle of 1..4 up to 4: the rows go, and a late re-send of 1..3 is answered here.
  streams.acked({ device: 'g1', epoch: EPOCH }, 4);
  assert.ok(ids.every((id) => streams.atHq(id)));
  store.dequeueMany(ids);
  streams.release(ids);
  const late = streams.take(TOPIC, packBatch(batch(1, 3)), route, 0);
  assert.not.ok(late.queued);
  assert.equal(JSON.parse(late.answer!.payload.toString()), { epoch: EPOCH, upTo: 4 });
  assert.is(late.answer!.topic, 'tk/v1/demo/g1/up/ack');

  // 5..8 held; a restarted hub indexes them from its queue.
  for (let s = 5; s <= 8; s++) streams.take(TOPIC, packBatch(batch(s, s)), route, 0);
  streams = new UpStreams(store);
  assert.not.ok(streams.take(TOPIC, packBatch(batch(5, 8)), route, 0).queued, 'held before the restart: not queued again');
  const [r5, r6, r7] = store.queuedAfter(0, 10).map((r) => r.id) as [number, number, number];
  // HQ acked 5 only (it lost 6 in a crash, say): 7 waits behind 6, which the hub still holds.
  streams.acked({ device: 'g1', epoch: EPOCH }, 5);
  assert.ok(streams.behindGap(r7, new Set([r5, r7])), '7 goes again after 6');
  assert.not.ok(streams.behindGap(r7, new Set([r5, r6, r7])), 'nothing held fills the gap: the gate re-sends it');
  store.dequeueMany([r6]);
  streams.release([r6]);
  assert.ok(streams.take(TOPIC, packBatch(batch(6, 6)), route, 0).queued, 'neither held nor at HQ: forwarded again');
  store.close();
});

test('statuses and unreadable uploads are queued as they came', () => {
  const store = HubStore.open(':memory:');
  const streams = new UpStreams(store);
  assert.ok(streams.take('tk/v1/demo/g1/status', Buffer.from('{"state":"online"}'), { retain: true, lastValue: true }, 0).queued);
  assert.ok(streams.take(TOPIC, Buffer.from('not a batch'), route, 0).queued);
  assert.is(store.queueStats().messages, 2);
  store.close();
});

test.run();
