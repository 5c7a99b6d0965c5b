/**
 * The test command: typecheck, then every uvu suite (`*.test.ts`) in its own process, two at
 * a time, ending with the line `N passed, N failed`. Usage: tsx test/run.ts [filter...]
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { preparePgliteTemplate } from './support/pglite.ts';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const SKIP_DIRS = new Set(['node_modules', '.git', 'data', '.tmp', 'dist']);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);

function findSuites(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findSuites(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out.sort();
}

interface Outcome { name: string; passed: number; failed: number; skipped: number; ms: number; output: string; lingered: boolean }

/** A suite still running after this long is killed and counted as failed. */
const SUITE_TIMEOUT_MS = Number(process.env.TEST_SUITE_TIMEOUT_S ?? 900) * 1000;
/** After uvu has printed its summary, a suite that does not exit within this is stopped. */
const LINGER_MS = 15_000;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string; ms: number; lingered: boolean }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let lingered = false;
    let lingerTimer: NodeJS.Timeout | undefined;
    const onData = (d: Buffer) => {
      output += d;
      // The results are in, but something (a timer, a socket) keeps the process alive: note it, stop it.
      if (!lingerTimer && /Duration:/.test(output)) {
        lingerTimer = setTimeout(() => {
          lingered = true;
          child.kill('SIGKILL');
        }, LINGER_MS);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const hard = setTimeout(() => {
      output += `\n(killed after ${SUITE_TIMEOUT_MS / 1000} s)\n`;
      child.kill('SIGKILL');
    }, SUITE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(hard);
      clearTimeout(lingerTimer);
      resolve({ code: lingered ? 0 : (code ?? (signal ? 128 : 1)), output, ms: Date.now() - t0, lingered });
    });
  });
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

async function runSuite(file: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const r = await run(process.execPath, ['--import', 'tsx', file], env);
  const text = strip(r.output);
  const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    // Crashed before uvu could summarise: the whole suite counts as one failure.
    return { name: file, passed: 0, failed: 1, skipped: 0, ms: r.ms, output: text, lingered: r.lingered };
  }
  // uvu's Total counts the tests that ran; skipped ones are reported apart.
  const failed = total - passed + (r.code !== 0 && total === passed ? 1 : 0);
  return { name: file, passed, failed, skipped, ms: r.ms, output: text, lingered: r.lingered };
}

const suites = findSuites(root).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
let passed = 0, failed = 0, skipped = 0;

if (filters.length === 0 || filters.includes('typecheck')) {
  process.stdout.write('typecheck (tsc --noEmit) ... ');
  const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]);
  if (tsc.code === 0) { passed++; process.stdout.write(`ok (${(tsc.ms / 1000).toFixed(1)} s)\n`); }
  else { failed++; process.stdout.write(`FAILED\n${tsc.output}\n`); }
  // The back office app against HQ's API as declared now: its client types are generated from
  // the OpenAPI document, so a changed endpoint fails here.
  process.stdout.write('typecheck web (OpenAPI types, vue-tsc) ... ');
  const gen = await run(process.execPath, ['--import', 'tsx', join(root, 'web/scripts/api-types.ts')]);
  const vue = gen.code === 0 ? await run(process.execPath, [join(root, 'node_modules/vue-tsc/bin/vue-tsc.js'), '--noEmit', '-p', join(root, 'web')]) : gen;
  if (vue.code === 0) { passed++; process.stdout.write(`ok (${((gen.ms + vue.ms) / 1000).toFixed(1)} s)\n`); }
  else { failed++; process.stdout.write(`FAILED\n${vue.output}\n`); }
}

// Browser suites (test/web-*) load the built app: build it once, before they start.
if (suites.some((s) => /(^|\/)web-[^/]*\.test\.ts$/.test(s))) {
  process.stdout.write('build web (if stale) ... ');
  const b = await run(process.execPath, ['--import', 'tsx', join(root, 'web/scripts/build.ts'), '--if-stale']);
  process.stdout.write(b.code === 0 ? `ok (${(b.ms / 1000).toFixed(1)} s)\n` : `FAILED\n${b.output}\n`);
}

const env = suites.length ? { PGLITE_TEMPLATE: await preparePgliteTemplate() } : {};
const queue = [...suites];
async function worker(): Promise<void> {
  for (let file = queue.shift(); file; file = queue.shift()) {
    const o = await runSuite(file, env);
    passed += o.passed; failed += o.failed; skipped += o.skipped;
    const mark = o.failed ? 'FAIL' : 'ok  ';
    const linger = o.lingered ? `  [did not exit within ${LINGER_MS / 1000} s of its summary: an open handle; stopped]` : '';
    process.stdout.write(`${mark} ${o.name}  ${o.passed} passed, ${o.failed} failed${o.skipped ? `, ${o.skipped} skipped` : ''} (${(o.ms / 1000).toFixed(1)} s)${linger}\n`);
    if (o.failed || process.env.TEST_VERBOSE) process.stdout.write(o.output.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
