import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { zbarDecode } from '../../test/support/zbar.ts';
import { EscPosBuilder, statusRequest } from '../../shared/print/escpos.ts';
import { decodeCode128, EscPosInterpreter, type PrintJob, type Problem } from './interpreter.ts';
import { qrDots, renderPng } from '../../shared/print/page.ts';

function run(chunks: Uint8Array[], paperWidth = 576) {
  const jobs: PrintJob[] = [];
  const status: number[] = [];
  const problems: Problem[] = [];
  const i = new EscPosInterpreter({ paperWidth, onJob: (j) => jobs.push(j), onStatusRequest: (n) => status.push(n), onProblem: (p) => problems.push(p) });
  for (const c of chunks) i.push(c);
  return { jobs, status, problems, interpreter: i };
}

const CODE = 'AEBAGBAFAYDQQCIKBMGA4DQPCAIREEYUCULBOGAZDINRYHI6D4QCAOBXHEXTSA';

function ticketJob(): Buffer {
  return new EscPosBuilder()
    .init().chinese(true).lineSpacing(24)
    .align('center').size(2, 2).bold(true).line('成人票').bold(false).size(1, 1)
    .align('left').leftMargin(24).line('票价 ¥120.00 Adult')
    .align('center').leftMargin(0).feed(16)
    .qr(CODE, { moduleSize: 6, ecc: 'M' })
    .feed(16)
    .code128('TK0000000042', { moduleWidth: 2, height: 80, hri: 'below' })
    .raster(16, 2, new Uint8Array([0xff, 0x00, 0x0f, 0xf0]))
    .cut(40)
    .bytes();
}

test('a ticket job is laid out as a printer prints it', () => {
  const { jobs, problems } = run([ticketJob()]);
  assert.equal(problems, []);
  assert.is(jobs.length, 1);
  const [job] = jobs;
  const items = job!.page.items;
  assert.equal(items[0], { kind: 'text', x: (576 - 6 * 24) / 2, y: 0, text: '成人票', scaleW: 2, scaleH: 2, bold: true });
  // 48 dots tall line, line spacing 24: the taller line wins.
  // ¥ (four bytes in GB18030, not in a GBK font) went out as ￥ (A3 A4).
  assert.equal(items[1], { kind: 'text', x: 24, y: 48, text: '票价 ￥120.00 Adult', scaleW: 1, scaleH: 1, bold: false });
  const qrSize = qrDots(CODE, 6, 'M');
  assert.equal(items[2], { kind: 'qr', x: Math.floor((576 - qrSize) / 2), y: 48 + 24 + 16, data: CODE, moduleSize: 6, ecc: 'M' });
  const bar = items[3]!;
  assert.is(bar.kind, 'barcode');
  assert.is(bar.y, 48 + 24 + 16 + qrSize + 16);
  assert.is((bar as { data: string }).data, 'TK0000000042');
  const raster = items[4]!;
  assert.equal({ ...raster, bits: [...(raster as { bits: Uint8Array }).bits] }, { kind: 'raster', x: (576 - 16) / 2, y: bar.y + 80 + 28, width: 16, height: 2, bits: [0xff, 0x00, 0x0f, 0xf0] });
  assert.is(job!.page.height, bar.y + 80 + 28 + 2 + 40);
  assert.is(job!.printed, true);
  assert.is(job!.size, ticketJob().length);
});

test('the rendered page decodes: QR and CODE128 read back by zbarimg', async () => {
  const { jobs } = run([ticketJob()]);
  const png = await renderPng(jobs[0]!.page);
  const meta = await sharp(png).metadata();
  assert.is(meta.width, 576 + 32);
  const found = await zbarDecode(png);
  assert.ok(found.includes(CODE), `QR decoded: ${found}`);
  assert.ok(found.includes('TK0000000042'), `barcode decoded: ${found}`);
});

test('split at every byte, or merged with the next job, the stream gives the same jobs', () => {
  const bytes = ticketJob();
  const whole = run([bytes]).jobs;
  const oneByOne = run([...bytes].map((b) => Uint8Array.of(b))).jobs;
  assert.equal(oneByOne.map((j) => j.page), whole.map((j) => j.page));
  for (const cut of [1, 2, 3, 7, 13, 50, 200, bytes.length - 1]) {
    const split = run([bytes.subarray(0, cut), bytes.subarray(cut)]).jobs;
    assert.equal(split.map((j) => j.page), whole.map((j) => j.page), `split at ${cut}`);
  }
  const merged = run([Buffer.concat([bytes, bytes, statusRequest(4)])]);
  assert.is(merged.jobs.length, 2);
  assert.equal(merged.jobs[1]!.page, whole[0]!.page);
  assert.equal(merged.jobs.map((j) => j.id), [1, 2]);
  assert.equal(merged.status, [4]);
});

test('a large raster arriving in small reads, with a status request right after, comes out whole', () => {
  const bits = new Uint8Array(72 * 1500).map((_, i) => (i * 37) & 0xff);
  const bytes = Buffer.concat([new EscPosBuilder().init().raster(576, 1500, bits).bytes(), statusRequest(2), new EscPosBuilder().line('end').cut().bytes()]);
  const whole = run([bytes]);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 61) chunks.push(bytes.subarray(at, at + 61));
  const split = run(chunks);
  assert.equal(split.jobs.map((j) => j.page), whole.jobs.map((j) => j.page));
  assert.equal(split.status, [2]);
  const raster = split.jobs[0]!.page.items[0] as { bits: Uint8Array; height: number };
  assert.equal([raster.height, Buffer.from(raster.bits).equals(Buffer.from(bits))], [1500, true]);
});

test('DLE EOT is answered wherever it comes, also in the middle of a job', () => {
  const bytes = new EscPosBuilder().init().line('A').bytes();
  const { status, jobs } = run([statusRequest(1), bytes, statusRequest(2), statusRequest(4), new EscPosBuilder().line('B').cut().bytes()]);
  assert.equal(status, [1, 2, 4]);
  assert.equal(jobs[0]!.page.items.map((i) => (i as { text: string }).text), ['A', 'B']);
  assert.is(jobs[0]!.size, bytes.length + 6, 'status requests are not part of the job');
});

test('unknown commands, bad arguments and broken text are recorded and skipped; printing goes on', () => {
  const good = new EscPosBuilder().init().chinese(true).line('前').bytes();
  const corrupt = Buffer.concat([
    good,
    Buffer.from([0x1b, 0x99]), // unknown ESC
    Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x63]), // QR module size 99
    Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]), // print QR with nothing stored
    Buffer.from([0xb0, 0x0a]), // a GB18030 lead byte followed by LF
    Buffer.from([0x07]), // BEL
    Buffer.from([0x1d, 0x76, 0x30, 0x00, 0xff, 0xff, 0xff, 0xff]), // raster far too big
    Buffer.from([0x1d, 0x6b, 0x49, 0x03, 0x41, 0x42, 0x43]), // CODE128 without a code set
    Buffer.from([0x10, 0x04, 0x09]), // DLE EOT 9
    new EscPosBuilder().line('后').cut().bytes(),
  ]);
  const { jobs, problems, status } = run([corrupt]);
  assert.equal(status, []);
  assert.equal(problems.map((p) => p.code), ['unknown_command', 'bad_argument', 'bad_data', 'bad_text', 'unknown_command', 'bad_argument', 'bad_data', 'bad_argument']);
  assert.is(problems[0]!.offset, good.length);
  assert.is(problems[0]!.bytes, '1b99');
  assert.is(jobs.length, 1);
  const texts = jobs[0]!.page.items.filter((i) => i.kind === 'text').map((i) => (i as { text: string }).text);
  assert.ok(texts.includes('前') && texts.includes('后'), `printed around the garbage: ${texts}`);
  assert.equal(jobs[0]!.problems.map((p) => p.code), problems.map((p) => p.code));
});

test('random and mutated streams never throw, and a clean job after them still prints', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const base = ticketJob();
  for (let round = 0; round < 300; round++) {
    const bytes = Buffer.from(base);
    for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    const noise = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
    const chunks: Buffer[] = [];
    const all = Buffer.concat([noise, bytes]);
    for (let at = 0; at < all.length;) {
      const n = 1 + Math.floor(rand() * 97);
      chunks.push(all.subarray(at, at + n));
      at += n;
    }
    const r = run(chunks);
    // Whatever state the garbage left (a length-prefixed command may still wait for its data),
    // after a power cycle a complete job prints.
    r.interpreter.reset();
    r.interpreter.push(Buffer.concat([new EscPosBuilder().cut().bytes(), ticketJob()]));
    const last = r.jobs.at(-1)!;
    assert.ok(last.page.items.some((i) => i.kind === 'qr' && i.data === CODE), `round ${round}: clean job printed`);
  }
});

test('CODE128 data: code sets, brace escape, set C digit pairs', () => {
  assert.is(decodeCode128(Buffer.from('{BTK{{1}')), 'TK{1}');
  assert.is(decodeCode128(Buffer.from([0x7b, 0x43, 12, 34, 5, 0x7b, 0x42, 0x41])), '123405A');
  assert.is(decodeCode128(Buffer.from('AB')), null);
});

test('text wraps at the paper edge; GS L and ESC a place it', () => {
  const { jobs } = run([new EscPosBuilder().init().chinese(true).line('一二三四五六七八九十一二三四五六七').cut().bytes()], 384);
  assert.equal(jobs[0]!.page.items.map((i) => [(i as { text: string }).text, i.y]), [['一二三四五六七八九十一二三四五六', 0], ['七', 30]]);
  const right = run([new EscPosBuilder().init().align('right').line('abc').cut().bytes()], 384).jobs[0]!.page.items[0]!;
  assert.is(right.x, 384 - 36);
});

test('the yuan sign goes out as the full-width GBK ￥ (A3 A4), never as four GB18030 bytes', () => {
  assert.equal([...new EscPosBuilder().text('¥5').bytes()], [0xa3, 0xa4, 0x35]);
  assert.equal([...new EscPosBuilder().text('￥5').bytes()], [0xa3, 0xa4, 0x35]);
});

test.run();
