import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isOwnEcho } from '../auth/device.ts';
import { parseDeviceTopic, parseSiteTopic, topics } from './topics.ts';

test('every device topic built here parses back to its parts', () => {
  const built = [
    [topics.up('s1', 'g-1'), 'up'], [topics.upAck('s1', 'g-1'), 'up/ack'], [topics.status('s1', 'g-1'), 'status'],
    [topics.desired('s1', 'g-1'), 'desired'], [topics.reported('s1', 'g-1'), 'reported'], [topics.cmdReq('s1', 'g-1'), 'cmd/req'],
    [topics.cmdRes('s1', 'g-1'), 'cmd/res'], [topics.sibling('s1', 'g-1'), 'sib'],
  ] as const;
  for (const [topic, kind] of built) assert.equal(parseDeviceTopic(topic), { site: 's1', device: 'g-1', kind }, topic);
  assert.equal(parseSiteTopic(topics.notify('s1')), { site: 's1', kind: 'notify' });
  assert.equal(parseSiteTopic(topics.siteDesired('s1')), { site: 's1', kind: 'desired' });
});

test('wildcards, other trees and bad names are not device topics', () => {
  for (const t of [topics.allUp, topics.siteUp('s1'), 'tk/v1/s1/notify', 'tk/v2/s1/g/up', 'tk/v1/s 1/g/up', 'tk/v1/s1/g/up/extra', `tk/v1/s1/${'x'.repeat(65)}/up`]) {
    assert.is(parseDeviceTopic(t), undefined, t);
  }
  assert.is(parseSiteTopic('tk/v1/s1/g/desired'), undefined);
});

test('a gate\'s own upload is an echo to it, a sibling\'s is not', () => {
  assert.ok(isOwnEcho('gate:s1:g-1', topics.up('s1', 'g-1')));
  assert.ok(isOwnEcho('gate:s1:g-1', topics.sibling('s1', 'g-1')));
  assert.not.ok(isOwnEcho('gate:s1:g-2', topics.up('s1', 'g-1')));
  assert.not.ok(isOwnEcho('hq', topics.up('s1', 'g-1')));
  assert.not.ok(isOwnEcho('gate:s1:g-1', topics.upAck('s1', 'g-1')));
});

test.run();
