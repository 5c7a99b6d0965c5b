import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EscPosBuilder } from '../../shared/print/escpos.ts';
import type { SimPrinter } from '../../hardware/printer/sim.ts';
import { zbarDecode } from '../../test/support/zbar.ts';
import { PrintBridge } from './bridge.ts';
import { parseBridgeConfig } from './config.ts';

const PAGE = 'http://127.0.0.1:8780';

async function withBridge(fn: (b: PrintBridge, sim: SimPrinter) => Promise<void>) {
  const bridge = new PrintBridge(parseBridgeConfig({ printer: { driver: 'sim' }, http: { port: 0 }, allowOrigins: [`${PAGE}/`] }));
  await bridge.start();
  try {
    await fn(bridge, bridge.device as SimPrinter);
  } finally {
    await bridge.stop();
  }
}

const post = (url: string, body: unknown, origin?: string) => fetch(`${url}/print`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: JSON.stringify(body),
});

test('a job from the allowed page is printed as sent; the QR on the page decodes', async () => {
  await withBridge(async (bridge, sim) => {
    const job = new EscPosBuilder().init().chinese(true).line('成人票').qr('TKCODE-1234567890', { moduleSize: 6, ecc: 'M' }).feed(32).cut().bytes();
    const res = await post(bridge.url, { jobs: [job.toString('base64')] }, PAGE);
    assert.is(res.status, 200);
    assert.is(res.headers.get('access-control-allow-origin'), PAGE);
    assert.equal(await res.json(), { printed: 1 });
    assert.is(sim.jobs.length, 1);
    assert.equal(sim.jobs[0]!.problems, []);
    assert.equal(await zbarDecode(await sim.renderPng(sim.jobs[0]!)), ['TKCODE-1234567890']);
  });
});

test('text (the shift report) prints as lines and a cut', async () => {
  await withBridge(async (bridge, sim) => {
    const res = await post(bridge.url, { text: '交班报表\n现金 120.00' }, PAGE);
    assert.equal(await res.json(), { printed: 1 });
    assert.is(sim.jobs.length, 1);
    assert.equal(sim.jobs[0]!.problems, []);
  });
});

test('another origin is refused; the preflight answers Chromium private network access', async () => {
  await withBridge(async (bridge, sim) => {
    const bad = await post(bridge.url, { text: 'x' }, 'http://evil.example');
    assert.is(bad.status, 403);
    assert.is(((await bad.json()) as any).error.code, 'origin_not_allowed');
    const pre = await fetch(`${bridge.url}/print`, { method: 'OPTIONS', headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-private-network': 'true' } });
    assert.is(pre.status, 204);
    assert.is(pre.headers.get('access-control-allow-private-network'), 'true');
    assert.is(pre.headers.get('access-control-allow-origin'), PAGE);
    assert.is(sim.jobs.length, 0);
  });
});

test('paper out: nothing printed, the driver\'s code and a Chinese message come back', async () => {
  await withBridge(async (bridge, sim) => {
    sim.device.setPaper('out');
    const res = await post(bridge.url, { jobs: [new EscPosBuilder().init().line('x').cut().bytes().toString('base64')] }, PAGE);
    assert.is(res.status, 503);
    const body = (await res.json()) as any;
    assert.is(body.printed, 0);
    assert.is(body.error.code, 'paper_out');
    assert.match(body.error.message, '缺纸');
    const st = (await (await fetch(`${bridge.url}/status`)).json()) as any;
    assert.is(st.ok, false);
    assert.is(sim.jobs.filter((j) => j.printed).length, 0);
  });
});

test('bad bodies are 400s; a config without origins is refused naming the key', async () => {
  await withBridge(async (bridge) => {
    assert.is((await post(bridge.url, { jobs: ['***'] })).status, 400);
    assert.is((await post(bridge.url, 'not json')).status, 400);
  });
  assert.throws(() => parseBridgeConfig({ printer: { driver: 'sim' } }), /allowOrigins/);
});

test.run();
