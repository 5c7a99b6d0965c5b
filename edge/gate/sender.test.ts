import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sender, type Outgoing } from './sender.ts';

const msg = (topic: string, bytes: number): Outgoing => ({ topic, payload: Buffer.alloc(bytes), qos: 1 });

test('urgent before entries before telemetry; newest status replaces an older one', () => {
  const sent: string[] = [];
  const batches = [msg('up-1', 100), msg('up-2', 100)];
  let connected = false;
  const s = new Sender({ kbps: 0, now: () => 0, canSend: () => connected, send: (m) => sent.push(m.topic), nextBatch: () => batches.shift() });
  s.push(2, msg('status', 10), true);
  s.push(2, msg('status', 11), true);
  s.push(0, msg('alarm', 10));
  connected = true;
  s.flush();
  assert.equal(sent, ['alarm', 'up-1', 'up-2', 'status']);
});

test('the cap holds a backlog to the line rate, and an alarm still jumps the queue', async () => {
  const sent: { topic: string; at: number }[] = [];
  let n = 0;
  const t0 = Date.now();
  // 64 kbit/s = 8000 bytes/s; 20 batches of ~1000 bytes ≈ 2.5 s at the cap, minus the 2 KB burst.
  const s = new Sender({
    kbps: 64, burstBytes: 2000, now: () => Date.now(), canSend: () => true,
    send: (m) => sent.push({ topic: m.topic, at: Date.now() - t0 }), nextBatch: () => (n < 12 ? msg(`up-${n++}`, 994) : undefined),
  });
  s.flush();
  await new Promise((r) => setTimeout(r, 400));
  s.push(0, msg('alarm', 20));
  await new Promise((r) => setTimeout(r, 1300));
  s.stop();
  const ups = sent.filter((x) => x.topic.startsWith('up'));
  // ~2000 burst + 8000 B/s * 1.7 s ≈ 15600 bytes ≈ 15 batches at most; far fewer than unlimited.
  assert.ok(ups.length >= 8 && ups.length <= 12, `${ups.length} batches in 1.7 s`);
  const alarm = sent.findIndex((x) => x.topic === 'alarm');
  assert.ok(alarm > 0 && alarm < sent.length - 1, 'the alarm went out between batches, not after the backlog');
  const bytes = ups.length * 1000;
  const last = ups[ups.length - 1]!.at;
  assert.ok(bytes - 2000 <= (last / 1000) * 8000 * 1.15, `rate ${(bytes - 2000) / (last / 1000)} B/s over the cap`);
});

test.run();
