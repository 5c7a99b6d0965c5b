import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrinter } from '../hardware/printer/create.ts';
import type { SimPrinter } from '../hardware/printer/sim.ts';
import { changeBatch, type Change } from '../shared/sync/messages.ts';
import { templateLayout, ticketToEscPos, type TicketPrintData } from '../shared/template/index.ts';
import { ADULT, api, login, startTestCloud, TEST_ADMIN_PASSWORD, waitFor } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { startTestGate } from './support/gate.ts';
import { zbarDecode } from './support/zbar.ts';
import { provision } from './support/provision.ts';

/**
 * A ticket sold at HQ and printed from its template, read back by a real decoder (zbarimg)
 * from the pixels, and presented to a gate: once from HQ's PNG preview, once from the page the
 * simulated printer made of the ESC/POS the kiosk-side code sends it. Both are the same code.
 */
test('the QR printed from a template decodes to a code the gate admits, from the preview and from the printer', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-p', lanes: ['main-1'] }, { device: 'kiosk-1', role: 'kiosk' }]);
  const gate = await startTestGate({ device: 'gate-p', lane: 'main-1', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl });
  const printer = (await createPrinter({ driver: 'sim', paper: 80 })) as SimPrinter;
  await printer.start();
  try {
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { ...ADULT, entries: 3 } })).status, 201);
    const layout = {
      elements: [
        { kind: 'field', field: 'siteName', align: 'center', width: 2, height: 2, bold: true },
        { kind: 'field', field: 'typeName', label: '票种：' },
        { kind: 'field', field: 'price', label: '票价：' },
        { kind: 'field', field: 'validDates', label: '有效期：' },
        { kind: 'field', field: 'persons', label: '人数：' },
        { kind: 'qr', moduleSize: 6, align: 'center', y: 180 },
        { kind: 'barcode', source: 'barcode', moduleWidth: 2, height: 60, align: 'center' },
        { kind: 'field', field: 'orderNo', label: '订单 ' },
      ],
    };
    const created = await api(cloud.url, '/api/v1/templates', { body: { code: 'adult', name: '成人票', type: 'adult', layout } });
    assert.is(created.status, 201, JSON.stringify(created.body));

    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } });
    assert.is(sale.status, 201);
    const ticket = sale.body.tickets[0];
    // Pre-printed stock style barcode, bound at sale: printed as CODE128 under the QR.
    const barcode = 'TK0000004711';
    assert.is((await api(cloud.url, `/api/v1/tickets/${ticket.id}/credentials`, { body: { kind: 'barcode', value: barcode } })).status, 201);

    // HQ's preview of the sold ticket.
    const token = await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD);
    const res = await fetch(`${cloud.url}/api/v1/templates/adult/preview.png?ticket=${ticket.id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(res.status, 200);
    const fromPreview = await zbarDecode(Buffer.from(await res.arrayBuffer()));
    const previewCode = fromPreview.find((s) => s.length > 40);
    assert.ok(previewCode, `a QR in the preview: ${fromPreview}`);
    assert.ok(fromPreview.includes(barcode), `the barcode decodes too: ${fromPreview}`);

    // A kiosk's way: the template arrives in the change log; the ticket is printed from it.
    const pulled = await fetch(`${cloud.url}/api/v1/sync/changes?site=demo&since=0&limit=500`, { headers: testDeviceHeader('demo', 'kiosk-1', 'kiosk') });
    assert.is(pulled.status, 200);
    const batch = changeBatch.parse(await pulled.json());
    const template = batch.changes.find((c): c is Extract<Change, { kind: 'template' }> => c.kind === 'template' && c.code === 'adult');
    assert.ok(template, 'template in the change log');
    const data: TicketPrintData = {
      ticketId: ticket.id, code: ticket.code, typeName: ADULT.name, priceFen: ticket.priceFen,
      validFrom: Date.parse(ticket.validFrom), validUntil: Date.parse(ticket.validUntil), persons: ticket.persons, entries: ticket.entries,
      orderNo: sale.body.id, siteName: sale.body.site, issuedAt: Date.parse(sale.body.createdAt), barcode,
    };
    const job = printer.device.nextJob();
    await printer.print(await ticketToEscPos(templateLayout.parse(template!.layout), data, { timeZone: cloud.ctx!.config.timeZone }));
    const printed = await job;
    assert.equal(printed.problems, []);
    const fromPrinter = await zbarDecode(await printer.renderPng(printed));
    const printedCode = fromPrinter.find((s) => s.length > 40);
    assert.is(printedCode, previewCode, 'printer and preview carry the same code');
    assert.ok(fromPrinter.includes(barcode), `printed barcode: ${fromPrinter}`);

    // The gate admits what was decoded, as many times as the ticket allows.
    await waitFor('ticket in the gate cache', () => gate.agent.store.ticket(ticket.id));
    const first = await gate.agent.present(previewCode!);
    assert.is(first.admit, true, first.message);
    const second = await gate.agent.present(printedCode!);
    assert.is(second.admit, true, second.message);
    await waitFor('barcode in the gate cache', () => gate.agent.store.ticketsByCredential('barcode', barcode).length > 0);
    const third = await gate.agent.present({ kind: 'barcode', value: fromPrinter.find((s) => s === barcode)! });
    assert.is(third.admit, true, third.message);
    const fourth = await gate.agent.present(printedCode!);
    assert.equal([fourth.admit, fourth.reason], [false, 'used']);
  } finally {
    await printer.stop();
    await gate.cleanup();
    await cloud.cleanup();
  }
});

test.run();
