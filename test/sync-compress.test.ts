import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pickEncoding } from '../shared/sync/compress.ts';
import { ADULT, api, startTestCloud } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { provision } from './support/provision.ts';

// Change-log pages go out brotli-, gzip- or deflate-compressed, as the device asks.
const TICKETS = Number(process.env.SYNC_COMPRESS_TICKETS ?? 1000);

/** One GET with node:http, which (unlike fetch) leaves the body as it came over the wire. */
function get(url: string, headers: Record<string, string>): Promise<{ encoding?: string; vary?: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], vary: res.headers.vary as string | undefined, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

test('a page of 1,000 tickets: brotli smallest, gzip next, both decode to the page itself', async () => {
  const cloud = await startTestCloud();
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    for (let left = TICKETS; left > 0; left -= 500) await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: Math.min(500, left) } });
    const url = `${cloud.url}/api/v1/sync/changes?site=demo&limit=5000`;
    await provision(cloud.url, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
    const device = testDeviceHeader('demo', 'kiosk-1', 'kiosk');
    const plain = await get(url, device);
    const br = await get(url, { ...device, 'accept-encoding': 'br' });
    const gz = await get(url, { ...device, 'accept-encoding': 'gzip' });
    const deflate = await get(url, { ...device, 'accept-encoding': 'deflate' });
    const both = await get(url, { ...device, 'accept-encoding': 'gzip, deflate, br' });
    assert.is(plain.encoding, undefined);
    assert.equal([br.encoding, gz.encoding, deflate.encoding, both.encoding], ['br', 'gzip', 'deflate', 'br']);
    assert.match(br.vary ?? '', /accept-encoding/i);
    // Each answer carries HQ's clock; everything else is the same page.
    const same = (b: Buffer) => ({ ...JSON.parse(b.toString()), serverTime: 0 });
    const page = same(plain.body);
    assert.ok(page.changes.filter((c: { kind: string }) => c.kind === 'ticket').length >= TICKETS);
    assert.equal(same(brotliDecompressSync(br.body)), page);
    assert.equal(same(gunzipSync(gz.body)), page);
    assert.equal(same(inflateSync(deflate.body)), page);
    process.stdout.write(`  ${TICKETS} tickets: identity ${plain.body.length} B, gzip ${gz.body.length} B, br ${br.body.length} B\n`);
    assert.ok(br.body.length < gz.body.length, 'brotli beats gzip');
    assert.ok(gz.body.length * 5 < plain.body.length, 'gzip at least 5x');
    // fetch decodes brotli by itself, as devices read pages.
    const fetched = await fetch(url, { headers: { ...device, 'accept-encoding': 'br' } });
    assert.equal(same(Buffer.from(await fetched.text())), page);
  } finally {
    await cloud.cleanup();
  }
});

test('Accept-Encoding: q-values and wildcards are honoured; none acceptable means identity', () => {
  assert.is(pickEncoding('gzip, deflate, br'), 'br');
  assert.is(pickEncoding('br;q=0, gzip'), 'gzip');
  assert.is(pickEncoding('gzip;q=0.5, br;q=0.4'), 'gzip');
  assert.is(pickEncoding('*'), 'br');
  assert.is(pickEncoding('identity'), undefined);
  assert.is(pickEncoding('*;q=0, deflate'), 'deflate');
  assert.is(pickEncoding(undefined), undefined);
});

test.run();
