import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
