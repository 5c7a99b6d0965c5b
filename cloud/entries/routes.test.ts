import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entryNonce } from '../../shared/sync/nonce.ts';
import { api, startTestCloud } from '../../test/support/cloud.ts';
import { entries } from '../db/schema/index.ts';

const ENTRIES = Number(process.env.ENTRIES_PAGING_ROWS ?? 1203);

test('GET /entries pages through every entry with the cursor it hands out, newest first', async () => {
  const cloud = await startTestCloud();
  try {
    // Gate nonces are UUID-shaped SHA-256 (not RFC 4122); several entries share a time.
    const t0 = Date.UTC(2026, 4, 1, 2);
    const rows = Array.from({ length: ENTRIES }, (_, i) => ({
      nonce: entryNonce('gate-1', 'epoch-1', i + 1), ticketId: null, site: 'demo', device: 'gate-1', lane: 'lane-1',
      direction: 'in', kind: 'emergency', persons: 1, deviceTime: new Date(t0 + Math.floor(i / 3) * 1000), correctedTime: new Date(t0 + Math.floor(i / 3) * 1000),
    }));
    for (let i = 0; i < rows.length; i += 500) await cloud.ctx!.db.insert(entries).values(rows.slice(i, i + 500));
    const seen: { nonce: string; correctedTime: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: any } = await api(cloud.url, `/api/v1/entries?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      assert.is(r.status, 200, JSON.stringify(r.body));
      seen.push(...r.body.items);
      cursor = r.body.next;
      pages++;
    } while (cursor);
    assert.is(pages, Math.ceil(ENTRIES / 500));
    assert.is(seen.length, ENTRIES);
    assert.is(new Set(seen.map((e) => e.nonce)).size, ENTRIES, 'no entry twice');
    const key = (e: { nonce: string; correctedTime: string }) => `${e.correctedTime}|${e.nonce}`;
    assert.ok(seen.every((e, i) => i === 0 || key(seen[i - 1]!) > key(e)), 'newest first, ties by nonce');
    const bad = await api(cloud.url, '/api/v1/entries?cursor=bm90LWEtY3Vyc29y');
    assert.equal([bad.status, bad.body.error.code], [400, 'invalid_cursor']);
  } finally {
    await cloud.cleanup();
  }
});

test.run();
