import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HubStore } from './store.ts';

const b = (s: string) => Buffer.from(s);
const up = { retain: false, lastValue: false, at: 0 };
const status = { retain: true, lastValue: true, at: 0 };

test('the queue keeps order, the newest status only, and a pending upload once', () => {
  const store = HubStore.open(':memory:');
  const a = store.enqueue('tk/v1/s/g1/up', b('\x01batch-1'), up)!;
  store.enqueue('tk/v1/s/g1/status', b('online 1'), status);
  assert.is(store.enqueue('tk/v1/s/g1/up', b('\x01batch-1'), up), undefined, 're-sent while pending: not queued twice');
  store.enqueue('tk/v1/s/g1/status', b('online 2'), status);
  store.enqueue('tk/v1/s/g2/up', b('\x01batch-1'), up);
  const q = store.queuedAfter(0, 10);
  assert.equal(q.map((m) => [m.topic, m.payload.toString(), m.retain]), [
    ['tk/v1/s/g1/up', '\x01batch-1', false], ['tk/v1/s/g1/status', 'online 2', true], ['tk/v1/s/g2/up', '\x01batch-1', false],
  ]);
  store.dequeue(a);
  assert.ok(store.enqueue('tk/v1/s/g1/up', b('\x01batch-1'), up)! > q[2]!.id, 'once forwarded it may come again, behind the rest');
  store.close();
});

test('ids are never reused, and the queue and retained payloads survive a reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-hub-store-'));
  try {
    let store = HubStore.open(join(dir, 'hub.sqlite'));
    store.enqueue('tk/v1/s/g1/up', b('x'), up);
    const last = store.enqueue('tk/v1/s/g1/up', b('y'), up)!;
    store.dequeue(last);
    store.setRetained('tk/v1/s/desired', b('{"mode":"closed"}'), 1);
    store.setRetained('tk/v1/s/g1/desired', b('{"mode":"normal"}'), 1);
    store.setRetained('tk/v1/s/g1/desired', b(''), 2);
    store.close();
    store = HubStore.open(join(dir, 'hub.sqlite'));
    assert.ok(store.enqueue('tk/v1/s/g1/up', b('z'), up)! > last);
    assert.equal(store.queuedAfter(0, 10).map((m) => m.payload.toString()), ['x', 'z']);
    assert.equal(store.retained().map((r) => [r.topic, r.payload.toString()]), [['tk/v1/s/desired', '{"mode":"closed"}']]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
