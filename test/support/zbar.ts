import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { SimPrinter } from '../../hardware/printer/sim.ts';

/**
 * Decodes every barcode and QR code in a PNG with zbarimg (zbar-tools), a real decoder:
 * one string per symbol found, [] when it finds none.
 */
export async function zbarDecode(png: Buffer): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'zbar-'));
  const file = join(dir, 'page.png');
  writeFileSync(file, png);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile('zbarimg', ['--raw', '-q', file], { timeout: 20_000 }, (err, stdout) => {
        // zbarimg exits 4 when it finds no symbol.
        if (err && (err as { code?: unknown }).code !== 4) reject(err);
        else resolve(stdout);
      });
    });
    return out.split('\n').filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The signed ticket codes (longer than 40 characters) on the pages `printer` printed since job
 * `from`, as zbarimg reads them from the pixels; every page printed without a problem.
 */
export async function ticketCodesPrinted(printer: SimPrinter, from: number): Promise<string[]> {
  const out: string[] = [];
  for (const job of printer.jobs.slice(from)) {
    assert.equal(job.problems, []);
    out.push(...(await zbarDecode(await printer.renderPng(job))).filter((s) => s.length > 40));
  }
  return out;
}
