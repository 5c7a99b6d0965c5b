import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrinter } from '../../../hardware/printer/create.ts';
import type { SimPrinter } from '../../../hardware/printer/sim.ts';
import { api, startTestCloud } from '../../../test/support/cloud.ts';
import { cash, must, seedOffice } from '../../../test/support/office.ts';
import { zbarDecode } from '../../../test/support/zbar.ts';

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;
let cloud: Cloud;
let seller: { id: string; token: string };

test.before(async () => {
  cloud = await startTestCloud();
  seller = (await seedOffice(cloud.url)).sellers[0]!;
  must(await api(cloud.url, '/api/v1/shifts', { body: { floatFen: 0 }, token: seller.token }), 201);
});
test.after(async () => cloud.cleanup());

const print = (ticket: string, body: unknown) => api(cloud.url, `/api/v1/tickets/${ticket}/prints`, { body, token: seller.token });

test('a window prints a ticket as ESC/POS; the page decodes to its code; a reprint needs a reason and is audited', async () => {
  const order = must(await api(cloud.url, '/api/v1/orders', { body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000, 20000)] }, token: seller.token }), 201);
  const ticket = order.lines[0].tickets[0];
  const first = must(await print(ticket.id, {}), 201);
  assert.is(first.printNo, 1);
  assert.is(first.reprint, false);
  assert.is(first.template, null, 'no template yet: the built-in layout');
  const printer = (await createPrinter({ driver: 'sim' })) as SimPrinter;
  await printer.start();
  try {
    await printer.print(Buffer.from(first.data, 'base64'));
    assert.equal(printer.jobs[0]!.problems, []);
    assert.equal(await zbarDecode(await printer.renderPng(printer.jobs[0]!)), [ticket.code]);
  } finally {
    await printer.stop();
  }

  const audit0 = (await api(cloud.url, '/api/v1/audit/verify')).body.records as number;
  const bare = await print(ticket.id, {});
  assert.is(bare.status, 400);
  assert.is(bare.body.error.code, 'reprint_reason_required');
  const again = must(await print(ticket.id, { reason: '卡纸 paper jam', output: 'png' }), 201);
  assert.equal([again.printNo, again.reprint, again.output], [2, true, 'png']);
  assert.equal(await zbarDecode(Buffer.from(again.data, 'base64')), [ticket.code]);
  const verify = (await api(cloud.url, '/api/v1/audit/verify')).body;
  assert.is(verify.ok, true);
  // The reprint's own record, beside the row record of its ticket event (cloud/audit).
  assert.ok(verify.records > audit0, 'the chain grew');
  const reprints = (await api(cloud.url, `/api/v1/audit/log?action=ticket_reprint&q=${ticket.id}`)).body.items as { subject: string; body: { reason?: string } }[];
  assert.equal(reprints.map((r) => [r.subject, r.body.reason]), [[ticket.id, '卡纸 paper jam']], 'the reprint is in the audit chain with its reason');

  // The shift report counts prints and reprints among the ticket events of the shift.
  const shift = must(await api(cloud.url, '/api/v1/shifts/current', { token: seller.token }), 200);
  const closed = must(await api(cloud.url, `/api/v1/shifts/${shift.id}/close`, { body: { counted: { cash: 12000 } }, token: seller.token }), 200);
  assert.equal(closed.report.ticketEvents, { print: 1, reprint: 1 });
});

test('a refunded ticket is not printed', async () => {
  must(await api(cloud.url, '/api/v1/shifts', { body: { floatFen: 0 }, token: seller.token }), 201);
  const order = must(await api(cloud.url, '/api/v1/orders', { body: { lines: [{ type: 'child', quantity: 1 }], payments: [cash(6000)] }, token: seller.token }), 201);
  const ticket = order.lines[0].tickets[0];
  must(await api(cloud.url, `/api/v1/orders/${order.id}/refunds`, { body: { tickets: [ticket.id], method: 'cash', reason: '不去了' } }), 201);
  const r = await print(ticket.id, {});
  assert.is(r.status, 409);
  assert.is(r.body.error.code, 'ticket_revoked');
});

test.run();
