import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FONT_H, FONT_W, renderPng, type PageItem } from './page.ts';

const MARGIN = 16;

/** Ink of a rendered page, per column: the columns and rows that hold any dark dot. */
async function ink(items: PageItem[], width = 576, height = 200) {
  const { data, info } = await sharp(await renderPng({ width, height, items }, { margin: MARGIN })).raw().toBuffer({ resolveWithObject: true });
  const dark = (x: number, y: number) => data[(y * info.width + x) * info.channels]! < 128;
  const cols: number[] = [];
  const rows: number[] = [];
  for (let x = 0; x < info.width; x++) for (let y = 0; y < info.height; y++) if (dark(x, y)) { cols.push(x - MARGIN); break; }
  for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) if (dark(x, y)) { rows.push(y - MARGIN); break; }
  return { left: cols[0] ?? NaN, right: (cols.at(-1) ?? NaN) + 1, top: rows[0] ?? NaN, bottom: (rows.at(-1) ?? NaN) + 1, cols };
}

const text = (s: string, scaleW: number, scaleH: number): PageItem => ({ kind: 'text', x: 0, y: 0, text: s, scaleW, scaleH, bold: false });

test('double width, double height and both: each glyph drawn in its own cell, as the printer prints it', async () => {
  const one = await ink([text('H', 1, 1)]);
  for (const [w, h] of [[1, 1], [2, 1], [1, 2], [2, 2], [3, 2], [1, 3]] as const) {
    const g = await ink([text('H', w, h)]);
    // Glyph size scales with the cell: width with scaleW, height with scaleH, each alone.
    assert.ok(Math.abs((g.right - g.left) / (one.right - one.left) - w) < 0.35, `width at ${w}x${h}: ${g.right - g.left} vs ${one.right - one.left}`);
    assert.ok(Math.abs((g.bottom - g.top) / (one.bottom - one.top) - h) < 0.35, `height at ${w}x${h}: ${g.bottom - g.top} vs ${one.bottom - one.top}`);
    assert.ok(g.left >= 0 && g.right <= FONT_W * w && g.top >= 0 && g.bottom <= FONT_H * h, `inside its cell at ${w}x${h}: ${JSON.stringify(g)}`);
    // A row of them: every glyph stays in its own cell, with a blank gap between neighbours.
    const row = await ink([text('HHHH', w, h)]);
    for (let i = 1; i < 4; i++) {
      const edge = i * FONT_W * w;
      const gap = row.cols.filter((x) => x >= edge - 1 && x <= edge).length;
      assert.is(gap, 0, `glyphs ${i} and ${i + 1} touch at ${w}x${h}`);
    }
    assert.ok(row.right <= 4 * FONT_W * w, `row of 4 at ${w}x${h} ends at ${row.right}`);
  }
});

test.run();
