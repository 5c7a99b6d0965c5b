import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, startTestCloud, waitFor } from '../../test/support/cloud.ts';
import { startTestGate } from '../../test/support/gate.ts';
import { consoleApp } from './console.ts';
import { provision } from '../../test/support/provision.ts';

test('console: present a code, a card UID and an ID number; the page shows light, display, voice and turnstile', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-c', lanes: ['lane-1'] }]);
  const g = await startTestGate({ device: 'gate-c', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }, { turnstile: { autoPass: true, passDelayMs: 5 } });
  try {
    const app = consoleApp(g.agent, { turnstile: g.turnstile, indicator: g.indicator, display: g.display, voice: g.voice });
    const post = async (body: unknown) => {
      const res = await app.request('/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };
    await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } });
    const [a, b, c] = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 3 } })).body.tickets as { id: string; code: string }[];
    assert.is((await api(cloud.url, `/api/v1/tickets/${b!.id}/credentials`, { body: { kind: 'card', value: '04A1B2C3' } })).status, 201);
    assert.is((await api(cloud.url, `/api/v1/tickets/${c!.id}/credentials`, { body: { kind: 'idcard', value: '11010519491231002X' } })).status, 201);
    await waitFor('gate synced', () => g.agent.evaluate({ kind: 'idcard', value: '11010519491231002X' }).ticketId === c!.id);

    const byCode = await post({ code: a!.code });
    assert.is(byCode.body.admit, true);
    const devices = (await (await app.request('/devices')).json()) as any;
    assert.is(devices.indicator.light, 'green');
    assert.ok(devices.display.lines.length > 0);
    assert.is(devices.display.tone, 'ok');
    assert.ok(devices.voice.prompt);
    assert.ok(devices.turnstile.last);
    assert.is((await post({ code: '04A1B2C3', kind: 'card' })).body.admit, true);
    assert.is((await post({ code: '11010519491231002X', kind: 'idcard' })).body.admit, true);
    const again = await post({ code: a!.code });
    assert.is(again.body.admit, false);
    assert.is(again.body.reason, 'used');
    assert.is(((await (await app.request('/devices')).json()) as any).indicator.light, 'red');
    assert.is((await post({ nope: 1 })).status, 400);
    // The controller's alarm shows in the lane status (and so at HQ) while it lasts.
    g.turnstile.simulateAlarmInput(true);
    assert.is(((await (await app.request('/status')).json()) as any).status.error, 'turnstile alarm');
    g.turnstile.simulateAlarmInput(false);
    assert.is(((await (await app.request('/status')).json()) as any).status.error, null);
    const page = await (await app.request('/')).text();
    assert.match(page, /出示凭证/);
    assert.match(await (await app.request('/?lang=en')).text(), /Present a credential/);
  } finally {
    await g.cleanup();
    await cloud.cleanup();
  }
});

test.run();
