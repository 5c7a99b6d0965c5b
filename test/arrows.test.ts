/**
 * Arrows point down: edge -> hardware / cloud API -> shared. Program code (not tests or test
 * support) of a tier imports nothing of the tiers above it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const ABOVE: Record<string, string[]> = {
  shared: ['hardware', 'cloud', 'edge', 'web', 'test', 'provisioning'],
  hardware: ['cloud', 'edge', 'web', 'test', 'provisioning'],
  cloud: ['edge', 'hardware', 'web', 'test', 'provisioning'],
};

function programFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'testing' || name === 'bench' || name === 'eval') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) programFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

for (const [tier, above] of Object.entries(ABOVE)) {
  test(`${tier}/ imports nothing of ${above.join(', ')}`, () => {
    const wrong: string[] = [];
    for (const file of programFiles(join(root, tier))) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
        const target = relative(root, resolve(dirname(file), m[1]!)).split('/')[0]!;
        if (above.includes(target)) wrong.push(`${relative(root, file)} -> ${m[1]}`);
      }
    }
    assert.equal(wrong, []);
  });
}

test.run();
