/**
 * `npm run build:edge`: the site programs (gate, hub, kiosk, POS, print bridge) compiled to
 * JavaScript under dist/, which production runs with plain `node` (provisioning/systemd);
 * development keeps running the TypeScript through tsx.
 *
 * One esbuild build of every program (a bundle each, chunks shared). Packages stay in
 * node_modules (`packages: 'external'`): the native ones (better-sqlite3, serialport, onoff,
 * johnny-five, onnxruntime-node, sharp) must, and the drivers' dynamic `import()` of them stays
 * a real dynamic import, so a gate without a face camera never loads onnxruntime or sharp. Our
 * own lazily imported drivers become chunks, loaded when their `import()` runs.
 *
 * Files found beside the code at run time (migrations, kiosk and POS pages) stay in the
 * checkout: `import.meta.url` in a bundled module is replaced by that module's own source URL,
 * so `new URL('./migrations', import.meta.url)` means what it says. dist/ must therefore stay
 * inside the checkout it was built from (as `npm run build:edge` and install.sh put it).
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { isBuiltin } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every program with a main under edge/ (edge/agent/main.ts is the kiosk and POS's shared runner). */
export const EDGE_PROGRAMS = ['gate', 'hub', 'kiosk', 'pos', 'print-bridge'] as const;
export type EdgeProgram = (typeof EDGE_PROGRAMS)[number];

/** Where `node` finds a built program: dist/edge/<name>/main.js. */
export const builtMain = (outdir: string, program: EdgeProgram) => join(outdir, 'edge', program, 'main.js');

/**
 * Each module's `import.meta.url` becomes its source file's URL. Every output (a program's
 * main.js, a shared or lazy chunk) sits in a folder one below `outdir/edge/`, so one relative
 * path from there reaches the source whichever output the module lands in.
 */
function sourceUrls(outdir: string): Plugin {
  const from = join(outdir, 'edge', 'any');
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        const rel = relative(from, args.path).split('\\').join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

export interface BuiltProgram {
  program: EdgeProgram;
  file: string;
  /** The bundle and the chunks it loads at start. */
  bytes: number;
  /** Packages loaded at start, and `name (lazy)` for those only a dynamic import() reaches. */
  packages: string[];
}

type Outputs = Metafile['outputs'];

/** Walks an entry's chunks: what a static import reaches loads at start, the rest on demand. */
function startCost(outputs: Outputs, entry: string): { bytes: number; packages: string[] } {
  const eager = new Set<string>();
  const lazy = new Set<string>();
  const seen = new Set<string>();
  let bytes = 0;
  const walk = (file: string, later: boolean) => {
    if (seen.has(`${later}:${file}`)) return;
    seen.add(`${later}:${file}`);
    if (!later) bytes += outputs[file]?.bytes ?? 0;
    for (const i of outputs[file]?.imports ?? []) {
      const onDemand = later || i.kind === 'dynamic-import';
      if (!i.external) walk(i.path, onDemand);
      else if (!isBuiltin(i.path)) (onDemand ? lazy : eager).add(i.path);
    }
  };
  walk(entry, false);
  return { bytes, packages: [...eager, ...[...lazy].filter((p) => !eager.has(p)).map((p) => `${p} (lazy)`)].sort() };
}

/** Builds every edge program into `outdir` (default dist/ in the checkout), replacing what was there. */
export async function buildEdge(outdir = join(ROOT, 'dist')): Promise<BuiltProgram[]> {
  outdir = resolve(outdir);
  rmSync(join(outdir, 'edge'), { recursive: true, force: true });
  const r = await build({
    absWorkingDir: ROOT,
    entryPoints: EDGE_PROGRAMS.map((p) => ({ in: join(ROOT, 'edge', p, 'main.ts'), out: `edge/${p}/main` })),
    outdir,
    // Chunks keep a dynamic import() of our own code lazy, as it is under tsx: in one file,
    // esbuild would hoist a lazily imported module's package imports (onnx-proto of the face
    // gallery, ~12 MB) to the top, loaded at start.
    splitting: true,
    chunkNames: 'edge/chunks/[name]-[hash]',
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [sourceUrls(outdir)],
  });
  return EDGE_PROGRAMS.map((program) => {
    const file = builtMain(outdir, program);
    return { program, file, ...startCost(r.metafile.outputs, relative(ROOT, file).split('\\').join('/')) };
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2] ?? join(ROOT, 'dist');
  for (const p of await buildEdge(outdir)) {
    process.stdout.write(`${relative(process.cwd(), p.file)}  ${(p.bytes / 1024).toFixed(0)} KB  packages: ${p.packages.join(', ')}\n`);
  }
}
