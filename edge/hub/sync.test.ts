import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../shared/log/logger.ts';
import { changesChecksum } from '../../shared/sync/checksum.ts';
import { hubApp } from './http.ts';
import { Puller } from './puller.ts';
import { HubStore } from './store.ts';

const NOW = 1_800_000_000_000;
const TICKET = { typeId: 1, validFrom: 0, persons: 1, entries: 1 };
const ticket = (seq: number, validUntil = NOW / 1000 + 86_400) =>
  ({ seq, kind: 'ticket', ticket: { id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, ...TICKET, validUntil } });

/** Just enough of HQ's change log (cloud/sync/changes.ts) to pull from. */
function fakeHq(state: { log: string; changes: Record<string, unknown>[]; corrupt?: boolean; down?: boolean }): typeof fetch {
  return (async (input: string | URL | Request) => {
    if (state.down) throw new TypeError('fetch failed');
    const q = new URL(String(input)).searchParams;
    const since = Number(q.get('since')), limit = Number(q.get('limit')), log = q.get('log');
    const body = (b: object) => new Response(JSON.stringify({ log: state.log, since, serverTime: NOW + 5000, ...b }));
    if (log && log !== state.log && since > 0) return body({ reset: true, next: 0, more: true, changes: [], checksum: changesChecksum([]) });
    const rows = state.changes.filter((c) => (c.seq as number) > since);
    const page = rows.slice(0, limit);
    // A corrupt batch: what arrives is not what the checksum was made over.
    const checksum = changesChecksum(state.corrupt ? [...page, {}] : page);
    return body({ next: page.length ? page[page.length - 1]!.seq : since, more: rows.length > limit, changes: page, checksum });
  }) as typeof fetch;
}

function setup(hq: Parameters<typeof fakeHq>[0]) {
  const store = HubStore.open(':memory:');
  let rang = 0;
  let clock = NOW;
  const now = () => ++clock;
  const puller = new Puller({
    store, cloudUrl: 'http://hq', site: 'demo', intervalMs: 60_000, pageSize: 2, log: silentLogger, now, fetch: fakeHq(hq),
    onAdvanced: () => rang++,
  });
  const app = hubApp({
    store, site: 'demo', hub: 'hub-1', log: silentLogger, now, serverTime: () => NOW + puller.clockOffset, puller, state: () => ({}),
  });
  const get = async (query: string) => {
    const res = await app.request(`/api/v1/sync/changes?${query}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  return { store, puller, get, rang: () => rang };
}

test('the hub copies HQ\'s log page by page and serves it in HQ\'s shape, with its own checksum', async () => {
  const hq = { log: 'log-a', changes: [ticket(1), { seq: 3, kind: 'future-kind', x: 1 }, ticket(4), ticket(7, NOW / 1000 - 2 * 86_400)] };
  const { store, puller, get, rang } = setup(hq);
  assert.is((await get('site=demo')).status, 503, 'no copy yet');
  puller.start();
  await puller.pull();
  await puller.stop();
  assert.equal(store.changeLog(), { log: 'log-a', checkpoint: 7 });
  assert.is(rang(), 1, 'one doorbell for the LAN');
  assert.ok(Math.abs(puller.clockOffset - 5000) < 10, 'offset to HQ\'s clock measured');
  const all = await get('site=demo&since=0&log=');
  assert.is(all.status, 200);
  assert.equal(all.body.changes.map((c: any) => c.seq), [1, 3, 4], 'the expired ticket is left out, an unknown kind passed on');
  assert.is(all.body.checksum, changesChecksum(all.body.changes));
  assert.equal([all.body.log, all.body.since, all.body.next, all.body.more], ['log-a', 0, 7, false]);
  assert.ok(Math.abs(all.body.serverTime - (NOW + 5000)) < 20, 'serverTime is HQ\'s clock');
  const page = await get('site=demo&since=1&limit=1&log=log-a');
  assert.equal([page.body.changes.map((c: any) => c.seq), page.body.next, page.body.more], [[3], 3, true]);
  assert.is((await get('site=other')).status, 404);
  assert.is((await get('site=demo&since=x')).body.error.code, 'invalid_request');
});

test('reset: another log, or a checkpoint HQ says it never reached; but not while HQ is out of reach', async () => {
  const hq = { log: 'log-a', changes: [ticket(1), ticket(2)], down: false };
  const { store, puller, get } = setup(hq);
  puller.start();
  try {
    await puller.pull();
    assert.ok((await get('site=demo&since=2&log=log-b')).body.reset, 'a checkpoint of another log');
    assert.not.ok((await get('site=demo&since=0&log=log-b')).body.reset, 'from 0 nothing to reset');
    hq.down = true;
    const ahead = await get('site=demo&since=9&log=log-a');
    assert.equal([ahead.body.reset, ahead.body.next, ahead.body.changes], [undefined, 9, []], 'the hub may just lag: nothing new yet');
    hq.down = false;
    assert.ok((await get('site=demo&since=9&log=log-a')).body.reset, 'HQ confirmed its log ends before 9');
    // HQ's log is replaced (a new database): HQ resets the hub, the hub drops its copy.
    hq.log = 'log-b';
    hq.changes = [ticket(1)];
    await puller.pull();
    assert.equal(store.changeLog(), { log: 'log-b', checkpoint: 1 });
    assert.equal(store.readChanges(0, 10).map((c) => c.seq), [1]);
    assert.ok((await get('site=demo&since=2&log=log-a')).body.reset);
  } finally {
    await puller.stop();
  }
});

test('a batch that fails its checksum is not stored', async () => {
  const hq = { log: 'log-a', changes: [ticket(1)], corrupt: true };
  const { store, puller } = setup(hq);
  puller.start();
  await puller.pull();
  await puller.stop();
  assert.equal(store.changeLog(), { log: undefined, checkpoint: 0 });
  assert.match(puller.lastError ?? '', /checksum/);
});

test.run();
