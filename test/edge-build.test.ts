import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEdge, builtMain, EDGE_PROGRAMS } from '../edge/build.ts';
import { GateProcess } from './support/gate-process.ts';
import { ADULT, api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';

// Production runs the edge programs compiled (npm run build:edge, dist/edge/<program>/main.js)
// with plain node. Built here into a folder of its own inside the checkout (the bundles find
// their packages in its node_modules and their migrations beside their sources), then run.
const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, '.tmp'), { recursive: true });
const outdir = mkdtempSync(join(root, '.tmp', 'edge-build-'));
const built = await buildEdge(outdir);

/** `node <file>` with no argument: its exit code and stderr. */
function runBare(file: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('every edge program is built, and loads under plain node (its usage, not a missing module)', async () => {
  assert.equal(built.map((b) => b.program), [...EDGE_PROGRAMS]);
  // No argument: every static import is loaded and evaluated before main.ts asks for its config.
  const runs = await Promise.all(built.map((b) => runBare(b.file)));
  built.forEach((b, i) => {
    assert.is(runs[i]!.code, 2, `${b.program}: ${runs[i]!.stderr}`);
    assert.match(runs[i]!.stderr, /usage/, b.program);
  });
  const gate = built.find((b) => b.program === 'gate')!;
  // The native runtimes of optional hardware stay behind a dynamic import().
  for (const lazy of ['onnxruntime-node', 'onnx-proto', 'sharp', 'johnny-five', 'onoff', 'serialport', 'undici']) {
    assert.ok(gate.packages.includes(`${lazy} (lazy)`), `${lazy} is loaded on demand: ${gate.packages.join(', ')}`);
    assert.not.ok(gate.packages.includes(lazy), `${lazy} is not imported at start`);
  }
  // Programs that print render a page to PNG only in their simulators: libvips (~20 MB) waits for that.
  for (const b of built) assert.not.ok(b.packages.includes('sharp'), `${b.program} does not load sharp at start: ${b.packages.join(', ')}`);
  // The QR and CODE128 encoders are needed only when a page is laid out or rendered (shared/print/code-libs.ts).
  for (const b of built) {
    for (const lib of ['qrcode', 'bwip-js']) {
      assert.not.ok(b.packages.some((p) => p === lib || p.startsWith(`${lib}/`)), `${b.program} does not load ${lib} at start: ${b.packages.join(', ')}`);
    }
  }
});

test('the compiled gate admits a valid ticket from a real HQ and refuses a forged, an unknown and a used one', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-b', lanes: ['lane-1'] }]);
  const dir = mkdtempSync(join(tmpdir(), 'tk-edge-build-'));
  const gate = GateProcess.write(dir, {
    device: 'gate-b', site: 'demo', lane: 'lane-1', dataDir: join(dir, 'data'), cloudUrl: cloud.url,
    mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, pullIntervalMs: 300, console: { port: 0 },
  }, [builtMain(outdir, 'gate')]);
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } });
    assert.is(sale.status, 201, JSON.stringify(sale.body));
    const ticket = sale.body.tickets[0];
    await gate.start();
    const pid = gate.child!.pid!;
    assert.not.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /tsx/, 'plain node, no loader');
    await waitFor('gate synced', async () => (await gate.status()).link.checkpoint >= 2, 15_000);

    // One changed character inside the signed part: well formed, signature wrong.
    const at = Math.floor(ticket.code.length / 2);
    const forged = ticket.code.slice(0, at) + (ticket.code[at] === 'A' ? 'B' : 'A') + ticket.code.slice(at + 1);
    const f = await gate.scan(forged);
    assert.is(f.admit, false, 'forged code refused');
    const unknown = await fetch(`${gate.consoleUrl}/scan`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'barcode', code: 'TK9999999999' }),
    }).then((r) => r.json()) as { admit: boolean; reason: string };
    assert.equal([unknown.admit, unknown.reason], [false, 'unknown']);

    const ok = await gate.scan(ticket.code);
    assert.is(ok.admit, true, ok.message);
    const again = await gate.scan(ticket.code);
    assert.equal([again.admit, again.reason], [false, 'used']);
    await waitFor('entry at HQ', async () => (await api(cloud.url, `/api/v1/tickets/${ticket.id}`)).body.used.entries === 1, 15_000);

    // Nothing native that a gate without a face camera or Firmata board does not use.
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    assert.match(maps, /better_sqlite3\.node/);
    for (const lib of ['onnxruntime', 'sharp', 'libvips']) assert.not.ok(maps.includes(lib), `${lib} is not loaded`);
  } finally {
    await gate.kill('SIGTERM');
    await cloud.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.after(() => rmSync(outdir, { recursive: true, force: true }));
test.run();
