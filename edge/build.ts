/**
 * `npm run build:edge`: the site programs (gate, hub, kiosk, POS, print bridge) compiled to
 * JavaScript under dist/, which production runs with plain `node` (provisioning/systemd);
 * development keeps running the TypeScript through tsx.
 *
 * One esbuild bundle per program. Packages stay in node_modules (`packages: 'external'`): the
 * native ones (better-sqlite3, serialport, onoff, johnny-five, onnxruntime-node, sharp) must,
 * and the drivers' dynamic `import()` of them stays a real dynamic import, so a gate without a
 * face camera never loads onnxruntime or sharp. Our own lazily imported drivers are inlined
 * but not evaluated until their `import()` runs (esbuild wraps each in an init function).
 *
 * Files found beside the code at run time (migrations, kiosk and POS pages) stay in the
 * checkout: `import.meta.url` in a bundled module is replaced by that module's own source URL,
 * so `new URL('./migrations', import.meta.url)` means what it says. dist/ must therefore stay
 * inside the checkout it was built from (as `npm run build:edge` and install.sh put it).
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every program with a main under edge/ (edge/agent/main.ts is the kiosk and POS's shared runner). */
export const EDGE_PROGRAMS = ['gate', 'hub', 'kiosk', 'pos', 'print-bridge'] as const;
export type EdgeProgram = (typeof EDGE_PROGRAMS)[number];

/** Where `node` finds a built program: dist/edge/<name>/main.js. */
export const builtMain = (outdir: string, program: EdgeProgram) => join(outdir, 'edge', program, 'main.js');

/** Each module's `import.meta.url`, seen from the bundle at `outfile`, is its source file's URL. */
function sourceUrls(outfile: string): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        let rel = relative(dirname(outfile), args.path).split('\\').join('/');
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

export interface BuiltProgram { program: EdgeProgram; file: string; bytes: number; packages: string[] }

/** Builds every edge program into `outdir` (default dist/ in the checkout), replacing what was there. */
export async function buildEdge(outdir = join(ROOT, 'dist')): Promise<BuiltProgram[]> {
  outdir = resolve(outdir);
  rmSync(join(outdir, 'edge'), { recursive: true, force: true });
  const out: BuiltProgram[] = [];
  for (const program of EDGE_PROGRAMS) {
    const outfile = builtMain(outdir, program);
    const r = await build({
      entryPoints: [join(ROOT, 'edge', program, 'main.ts')],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
      plugins: [sourceUrls(outfile)],
    });
    const meta = r.metafile.outputs[relative(process.cwd(), outfile).split('\\').join('/')] ?? Object.values(r.metafile.outputs).find((o) => o.entryPoint);
    const packages = [...new Set((meta?.imports ?? []).filter((i) => i.external && !i.path.startsWith('node:')).map((i) => `${i.path}${i.kind === 'dynamic-import' ? ' (lazy)' : ''}`))].sort();
    out.push({ program, file: outfile, bytes: meta?.bytes ?? 0, packages });
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2] ?? join(ROOT, 'dist');
  for (const p of await buildEdge(outdir)) {
    process.stdout.write(`${relative(process.cwd(), p.file)}  ${(p.bytes / 1024).toFixed(0)} KB  packages: ${p.packages.join(', ')}\n`);
  }
}
