/**
 * A kiosk on the site's broker: HQ's device view lists it online with its checkpoint and
 * waiting pickups, a booking paid online reaches its cache at once through the doorbell (its
 * timed pull is an hour away), and a clean stop shows it offline.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestKiosk } from '../edge/kiosk/testing/kiosk.ts';
import { bookingChannel } from './support/channel.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';

test('kiosk presence and doorbell', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'kiosk-p', role: 'kiosk' }]);
  const channel = await bookingChannel(cloud.url);
  const k = await startTestKiosk({ device: 'kiosk-p', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, pullIntervalMs: 3_600_000, heartbeatMs: 1000 });
  let stopped = false;
  try {
    const view = async () => ((await api(cloud.url, '/api/v1/devices')).body.items as any[]).find((d) => d.device === 'kiosk-p');
    const seen = await waitFor('kiosk listed online', async () => {
      const d = await view();
      return d?.online === true && d.status?.checkpoint !== undefined ? d : undefined;
    }, 15_000);
    assert.is(seen.site, 'demo');
    assert.is(seen.backlog, 0);
    const booked = await channel.book({ name: '王五', phone: '13800138000' });
    await waitFor('booking in the kiosk cache by the doorbell', () => k.agent.store.booking(booked.orderNo) !== undefined, 10_000);
    await k.stop(true);
    stopped = true;
    await waitFor('kiosk shown offline', async () => (await view())?.online === false, 10_000);
  } finally {
    if (!stopped) await k.stop(true);
    await cloud.cleanup();
  }
});

test.run();
