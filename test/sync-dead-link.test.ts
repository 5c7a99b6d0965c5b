/**
 * The line dies silently mid-upload (packets dropped both ways, no FIN, no RST: link-sim's
 * silence()): the gate notices on its own (a batch without the broker's PUBACK), reconnects
 * when the line is back, and every entry reaches HQ once; what it sends again is what was
 * lost in the dead line, not everything made meanwhile (mqtt.js replaying its queue while the
 * outbox re-sends the same entries was ~800 entries twice in issue 18's measurement).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestCloud } from './support/cloud.ts';
import { runDeadLink } from './bench/dead-link.ts';
import { Observer } from './bench/observer.ts';

test('a silent drop mid-upload: noticed, recovered, each entry at HQ once, little sent twice', async () => {
  const cloud = await startTestCloud();
  const observer = new Observer(cloud.mqttUrl);
  await observer.start();
  try {
    const r = await runDeadLink(cloud, observer, { entries: 5000, perSecond: 200, silentAfterMs: 6000, silentMs: 6000 });
    console.log(`dead link: ${JSON.stringify(r)}`);
    assert.is(r.atHq, r.entries, 'every entry at HQ (once: the nonce is the key)');
    assert.ok(r.deadLinks >= 1, 'the gate noticed the dead line itself');
    assert.ok(r.noticedS < 10, `noticed in ${r.noticedS} s (keepalive alone would take up to 45 s)`);
    // The batch in flight when the line went silent may have reached the broker before the
    // silence took its acknowledgement: then it arrives twice and HQ takes it once (checked
    // above). Nothing else arrives twice: at most what was sent again.
    assert.ok(r.duplicateBytes <= r.extraBytes, `reached HQ twice ${r.duplicateBytes} B, sent again ${r.extraBytes} B`);
    // Lost in the dead line: the one batch in it (out of a catch-up a batch waits for the
    // PUBACK of the one before, and back on line the gate goes on after what the broker
    // confirmed), never what was made during the outage: one 200-entry batch (~3.7 KB), 4 % of
    // 25 s of a rush. Issue 18's goal is 5 %; a replay of the outage (6 s of 25, ~24 %), or a
    // second batch (8 %), breaks it.
    assert.ok(r.extraBytes <= 0.05 * r.dataBytes, `sent again ${r.extraBytes} B of ${r.dataBytes} B (${r.lostBytes} B lost in the dead line, ${r.duplicateBytes} B reached HQ twice)`);
  } finally {
    await observer.stop();
    await cloud.cleanup();
  }
});

test.run();
