import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { PrinterDevice } from './device-sim.ts';
import { zbarDecode } from '../../test/support/zbar.ts';
import { itemHeight } from '../../shared/print/page.ts';
import { DEFAULT_TEMPLATE, fieldValue, layoutTicket, pageToEscPos, pickTemplate, SAMPLE_TICKET, templateLayout, TemplateError, ticketPreviewPng, ticketToEscPos, type TemplateLayoutInput, type TicketPrintData } from '../../shared/template/index.ts';

const TZ = 'Asia/Shanghai';

async function logo(): Promise<string> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"><rect width="64" height="32" fill="white"/><circle cx="16" cy="16" r="14" fill="black"/><rect x="36" y="4" width="24" height="24" fill="black"/></svg>';
  return (await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64');
}

async function fullTemplate(): Promise<TemplateLayoutInput> {
  return {
    paper: 80,
    elements: [
      { kind: 'image', data: await logo(), width: 128, align: 'center' },
      { kind: 'field', field: 'siteName', align: 'center', width: 2, height: 2, bold: true, y: 80 },
      { kind: 'field', field: 'typeName', label: '票种：' },
      { kind: 'field', field: 'price', label: '票价：', align: 'right' },
      { kind: 'field', field: 'validDates', label: '有效期：' },
      { kind: 'field', field: 'persons', label: '人数：', x: 40 },
      { kind: 'qr', moduleSize: 6, align: 'center', y: 320 },
      { kind: 'barcode', source: 'barcode', align: 'center', moduleWidth: 2 },
      { kind: 'field', field: 'ticketId', label: 'No. ' },
      { kind: 'text', text: '请妥善保管，售出不退 Keep this ticket until you leave', align: 'center' },
    ],
  };
}

const data: TicketPrintData = { ...SAMPLE_TICKET, code: 'AEBAGBAFAYDQQCIKBMGA4DQPCAIREEYUCULBOGAZDINRYHI6D4QCAOBXHEXTSA', validUntil: SAMPLE_TICKET.validUntil + 2 * 86_400_000 };

test('fields print as people read them: business days in the site zone, yuan, counts', () => {
  assert.is(fieldValue('price', data, 'zh-CN', TZ), '¥120.00');
  assert.is(fieldValue('validDates', SAMPLE_TICKET, 'zh-CN', TZ), '2026-01-01', 'a one-day ticket shows one day');
  assert.is(fieldValue('validDates', data, 'zh-CN', TZ), '2026-01-01 至 2026-01-03');
  assert.is(fieldValue('validDates', data, 'en', TZ), '2026-01-01 to 2026-01-03');
  assert.is(fieldValue('validUntil', data, 'zh-CN', TZ), '2026-01-03');
  assert.is(fieldValue('persons', { ...data, persons: 3 }, 'zh-CN', TZ), '3人');
  assert.is(fieldValue('entries', { ...data, entries: 0 }, 'en', TZ), 'unlimited');
  assert.is(fieldValue('issuedAt', data, 'zh-CN', TZ), '2026-01-01 09:30');
});

test('layout: elements flow down by y, aligned, wrapped to the paper', async () => {
  const page = await layoutTicket(await fullTemplate(), data, { timeZone: TZ });
  const [image, site, type, price, dates, persons, qr, bar, id, ...notice] = page.items;
  assert.equal([image!.kind, image!.x, image!.y, (image as { width: number }).width], ['raster', 224, 0, 128]);
  assert.equal([site!.y, site!.x, (site as { text: string }).text], [80, (576 - 4 * 48) / 2, '示例景区']);
  assert.equal([type!.y, type!.x], [128, 0]);
  // ¥ prints as the full-width ￥ (GBK A3 A4), two cells wide.
  assert.equal([price!.y, price!.x, (price as { text: string }).text], [152, 576 - 14 * 12, '票价：￥120.00']);
  assert.equal([dates!.y, persons!.y, persons!.x], [176, 200, 40]);
  assert.equal([qr!.kind, qr!.y], ['qr', 320]);
  assert.equal([bar!.kind, (bar as { data: string }).data], ['barcode', 'TK0000000001']);
  assert.is((id as { text: string }).text, 'No. 01936f3e-7a2b-7c4d-8e5f-a1b2c3d4e5f6');
  assert.equal(notice.map((n) => (n as { text: string }).text), ['请妥善保管，售出不退 Keep this ticket until you', 'leave']);
  assert.is(page.height, notice.at(-1)!.y + 24 + 48);
});

test('a QR keeps its quiet zone: 4 white modules above and below, whatever is placed against it', async () => {
  const tight: TemplateLayoutInput = { paper: 80, elements: [
    { kind: 'field', field: 'typeName', align: 'center', width: 2, height: 2 },
    { kind: 'qr', moduleSize: 5, align: 'center' },
    { kind: 'field', field: 'validDates', label: '有效期：', y: 0 },
  ] };
  for (const template of [tight, DEFAULT_TEMPLATE]) {
    const page = await layoutTicket(template, data, { timeZone: TZ });
    const i = page.items.findIndex((it) => it.kind === 'qr');
    const qr = page.items[i] as Extract<(typeof page.items)[number], { kind: 'qr' }>;
    const quiet = 4 * qr.moduleSize;
    const above = Math.max(...page.items.slice(0, i).map((it) => it.y + itemHeight(it)));
    const below = page.items[i + 1]!.y;
    assert.ok(qr.y - above >= quiet, `${qr.y - above} dots above the QR`);
    assert.ok(below - (qr.y + itemHeight(qr)) >= quiet, `${below - (qr.y + itemHeight(qr))} dots below the QR`);
  }
  // The first thing on the page needs none above it (the paper's own lead is blank).
  const alone = await layoutTicket({ paper: 80, elements: [{ kind: 'qr', moduleSize: 5, align: 'center' }] }, data, { timeZone: TZ });
  assert.is(alone.items[0]!.y, 0);
});

test('ESC/POS of a template, interpreted by the simulated printer, is the very page of the preview', async () => {
  const template = await fullTemplate();
  const page = await layoutTicket(template, data, { timeZone: TZ });
  const device = new PrinterDevice();
  device.receive(await ticketToEscPos(template, data, { timeZone: TZ }));
  assert.is(device.jobs.length, 1);
  assert.equal(device.problems, []);
  assert.equal(device.jobs[0]!.page, page);
});

test('the QR of the preview and of the printed job decode to the ticket code; the barcode to its value', async () => {
  const template = await fullTemplate();
  const preview = await ticketPreviewPng(template, data, { timeZone: TZ });
  const decoded = await zbarDecode(preview);
  assert.ok(decoded.includes(data.code), `preview: ${decoded}`);
  assert.ok(decoded.includes('TK0000000001'), `preview: ${decoded}`);
  const device = new PrinterDevice({ paperWidth: 576 });
  device.receive(await ticketToEscPos(template, data, { timeZone: TZ }));
  assert.ok((await zbarDecode(await device.renderPng(device.jobs[0]!))).includes(data.code));
});

test('58 mm paper, a ticket-id barcode at module 1, an explicit x', async () => {
  const template: TemplateLayoutInput = { paper: 58, elements: [{ kind: 'barcode', source: 'ticketId', moduleWidth: 1, height: 60, hri: 'none', x: 0 }, { kind: 'qr', moduleSize: 4, x: 20 }] };
  const page = await layoutTicket(template, data, { timeZone: TZ });
  assert.is(page.width, 384);
  assert.is(page.items[1]!.x, 20);
  const decoded = await zbarDecode(await ticketPreviewPng(template, data, { timeZone: TZ }));
  assert.ok(decoded.includes(data.ticketId.replace(/-/g, '')), `${decoded}`);
});

test('what cannot print is refused with a typed error', async () => {
  const code = async (t: TemplateLayoutInput, d: TicketPrintData = data) => layoutTicket(t, d, { timeZone: TZ }).then(() => 'ok', (e: TemplateError) => (e instanceof TemplateError ? e.code : String(e)));
  assert.is(await code({ elements: [{ kind: 'barcode', source: 'ticketId', moduleWidth: 3 }] }), 'too_wide');
  assert.is(await code({ paper: 58, elements: [{ kind: 'qr', moduleSize: 16 }] }), 'too_wide');
  assert.is(await code({ elements: [{ kind: 'barcode', source: 'barcode' }] }, { ...data, barcode: undefined }), 'no_value');
  assert.is(await code({ elements: [{ kind: 'image', data: Buffer.from('not an image at all').toString('base64') }] }), 'bad_image');
  assert.is(await code({ elements: [{ kind: 'qr' }] }, { ...data, code: '码' }), 'bad_code');
});

test('control characters in ticket data print as spaces, never as commands', async () => {
  const template: TemplateLayoutInput = { elements: [{ kind: 'field', field: 'typeName' }, { kind: 'qr' }] };
  const odd = { ...data, typeName: 'Adult\x1b@\n\x1dV\x00ticket' };
  const page = await layoutTicket(template, odd, { timeZone: TZ });
  assert.is((page.items[0] as { text: string }).text, 'Adult @  V ticket');
  const device = new PrinterDevice();
  device.receive(await ticketToEscPos(template, odd, { timeZone: TZ }));
  assert.equal(device.problems, []);
  assert.equal(device.jobs[0]!.page, page);
  assert.ok((await ticketPreviewPng(template, odd, { timeZone: TZ })).length > 0);
});

test('an image claiming a huge picture is refused before it is decoded', async () => {
  const big = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#ffffff' } }).png({ palette: true, colours: 2, compressionLevel: 9 }).toBuffer();
  assert.ok(big.length < 70_000, `${big.length}`);
  const r = await layoutTicket({ elements: [{ kind: 'image', data: big.toString('base64') }] }, data, { timeZone: TZ }).catch((e: TemplateError) => e.code);
  assert.is(r, 'bad_image');
});

test('layout cost is capped: paper length and characters times their size, with a clear error', async () => {
  const code = async (t: TemplateLayoutInput) => layoutTicket(t, data, { timeZone: TZ }).then(() => 'ok', (e: TemplateError) => (e instanceof TemplateError ? e.code : String(e)));
  const texts = (n: number, chars: number, size: number) => ({ elements: Array.from({ length: n }, () => ({ kind: 'text' as const, text: '景'.repeat(chars), width: size, height: size })) });
  // What once took 38 s to preview: 60 texts of 200 characters at 4 x 4.
  const t0 = performance.now();
  assert.is(await code(texts(60, 200, 4)), 'too_much_text');
  assert.is(await code(texts(60, 10, 4)), 'too_long', 'within the text budget, too much paper');
  assert.is(await code({ elements: [{ kind: 'qr', y: 3990 }] }), 'too_long');
  assert.ok(performance.now() - t0 < 1000, `refused in ${performance.now() - t0} ms`);
  const message = await layoutTicket(texts(60, 200, 4), data, { timeZone: TZ }).then(() => '', (e: Error) => e.message);
  assert.match(message, /4000/);
  // At the limits a preview stays well under the time it once took.
  const most = texts(20, 150, 1); // 3,000 characters on 3,408 dots
  assert.is(await code(most), 'ok');
  const t1 = performance.now();
  await ticketPreviewPng(most, data, { timeZone: TZ });
  const ms = performance.now() - t1;
  process.stdout.write(`  preview at the limits: ${Math.round(ms)} ms\n`);
  assert.ok(ms < 10_000, `${ms} ms`);
  // An image scaled to the paper's width never grows past what a raster command can print.
  const tall = await sharp({ create: { width: 1, height: 4000, channels: 3, background: '#000000' } }).png().toBuffer();
  const page = await layoutTicket({ elements: [{ kind: 'image', data: tall.toString('base64'), width: 576 }] }, data, { timeZone: TZ });
  assert.ok((page.items[0] as { height: number }).height <= 2303);
});

test('template schema: defaults and bad input named', () => {
  assert.equal(templateLayout.parse({ elements: [{ kind: 'qr' }] }), { paper: 80, elements: [{ kind: 'qr', moduleSize: 6, ecc: 'M', align: 'left' }], bottomFeed: 48, locale: 'zh-CN' });
  const paths = (input: unknown) => templateLayout.safeParse(input).error?.issues.map((i) => i.path.join('.'));
  assert.equal(paths({ elements: [] }), ['elements']);
  assert.equal(paths({ elements: [{ kind: 'text', text: 'a\x1bb' }] }), ['elements.0.text']);
  assert.equal(paths({ elements: [{ kind: 'field', field: 'password' }] }), ['elements.0.field']);
  assert.equal(paths({ elements: [{ kind: 'qr', moduleSize: 40 }] }), ['elements.0.moduleSize']);
  assert.equal(paths({ paper: 76, elements: [{ kind: 'qr' }] }), ['paper']);
  assert.equal(paths({ elements: [{ kind: 'qr', colour: 'red' }] }), ['elements.0']);
});

test('a page not from the layout (overlapping items) still encodes; later overlapping items are dropped', () => {
  const bytes = pageToEscPos({ width: 576, height: 100, items: [
    { kind: 'text', x: 0, y: 0, text: 'a', scaleW: 1, scaleH: 1, bold: false },
    { kind: 'text', x: 100, y: 10, text: 'b', scaleW: 1, scaleH: 1, bold: false },
  ] });
  const device = new PrinterDevice();
  device.receive(bytes);
  assert.equal(device.jobs[0]!.page.items.map((i) => (i as { text: string }).text), ['a']);
  assert.is(device.jobs[0]!.page.height, 100);
});

test('the template a ticket prints with: the newest version for its type, else the default; unreadable layouts passed over', () => {
  const l = (paper: number) => ({ paper, elements: [{ kind: 'qr' }] });
  const held = [
    { code: 'default', version: 1, typeId: null, layout: l(80) },
    { code: 'adult', version: 1, typeId: 7, layout: l(80) },
    { code: 'adult', version: 2, typeId: 7, layout: l(58) },
    { code: 'child', version: 1, typeId: 8, layout: { paper: 80, elements: [{ kind: 'hologram' }] } },
  ];
  assert.equal([pickTemplate(held, 7)?.code, pickTemplate(held, 7)?.version, pickTemplate(held, 7)?.layout.paper], ['adult', 2, 58]);
  assert.is(pickTemplate(held, 8)?.code, 'default', 'a layout from a newer HQ is not used');
  assert.is(pickTemplate(held, 9)?.code, 'default');
  // A template moved to another type no longer prints this one.
  assert.is(pickTemplate([...held, { code: 'adult', version: 3, typeId: 9, layout: l(80) }], 7)?.code, 'default');
  assert.is(pickTemplate(held.slice(1), 9), undefined);
});

test.run();
