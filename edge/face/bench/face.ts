/**
 * bench:face — the face pipeline on this machine's CPU, stage by stage, on faces cut from
 * face-api's demo photos (as a gate camera frame would show one visitor), and 1:N search
 * over a gallery of BENCH_GALLERY (100,000) embeddings.
 *
 * Baselines in the same run: face-api's own descriptor on tfjs's CPU backend (the original
 * implementation), and a plain JS scan of the gallery; floor: the recognition net alone on a
 * ready tensor. Progress and a table go to stderr; the last line on stdout is one JSON object.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { extractChip } from '../../../shared/face/align.ts';
import { RECOGNITION_INPUT } from '../../../shared/face/build/nets.ts';
import { FaceGallery } from '../gallery.ts';
import { decodeImage, toNchw, type RgbImage } from '../../../shared/face/image.ts';
import { openSession, runOne } from '../../../shared/face/onnx.ts';
import { FacePipeline } from '../../../shared/face/pipeline.ts';
import { faceApiReference } from '../../../shared/face/testing/reference.ts';
import { portraits } from '../../../shared/face/testing/samples.ts';
import { ensureFaceModels } from '../../../shared/face/build/build.ts';

const GALLERY = Number(process.env.BENCH_GALLERY ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 100) / 100;
};
const log = (s: string) => process.stderr.write(`${s}\n`);

const pipeline = await FacePipeline.open();
const faces = await portraits(pipeline, ['sample2.jpg', 'sample3.jpg', 'sample5.jpg']);
const frames: RgbImage[] = [];
for (const f of faces) frames.push(await decodeImage(f.jpeg));
log(`${frames.length} frames of one face each (${frames.map((f) => `${f.width}x${f.height}`).join(' ')})`);

const decode: number[] = [], detect: number[] = [], embed: number[] = [], total: number[] = [];
// CPU time of the whole process (every thread) per stage: less swayed than wall time when
// other work shares the two cores, and an upper bound of the idle wall time of a 1-thread run.
const cpuMs = (from: NodeJS.CpuUsage) => { const u = process.cpuUsage(from); return (u.user + u.system) / 1000; };
const detectCpu: number[] = [], embedCpu: number[] = [], searchCpu: number[] = [];
const chips: RgbImage[] = [];
for (let r = 0; r < ROUNDS + 5; r++) {
  const f = frames[r % frames.length]!;
  const jpeg = faces[r % faces.length]!.jpeg;
  const t0 = performance.now();
  await decodeImage(jpeg);
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const boxes = pipeline.faces(await pipeline.detector.detect(f));
  const box = boxes[0] ?? (await pipeline.detector.detect(f, { zoomOut: 2 }))[0];
  if (!box) throw new Error('no face in a benchmark frame');
  const chip = await extractChip(f, await pipeline.landmarker.landmarks(f, box));
  const t2 = performance.now();
  const dc = cpuMs(c1);
  const c2 = process.cpuUsage();
  await pipeline.embedder.embed(chip);
  const t3 = performance.now();
  const ec = cpuMs(c2);
  if (r < 5) continue; // warm-up
  detectCpu.push(dc); embedCpu.push(ec);
  chips.push(chip);
  decode.push(t1 - t0); detect.push(t2 - t1); embed.push(t3 - t2); total.push(t3 - t0);
}

// Floor: the recognition net alone, on a tensor already in place.
const rec = await openSession(ensureFaceModels().recognition);
const ready = toNchw(chips[0]!);
const netOnly: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now();
  await runOne(rec, ready, [1, 3, RECOGNITION_INPUT, RECOGNITION_INPUT]);
  netOnly.push(performance.now() - t);
}
await rec.release();

// Baseline: face-api itself (tfjs, CPU backend, as in a browser without WebGL).
const ref = await faceApiReference();
const faceApi: number[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await ref.descriptor(Float32Array.from(chips[i % chips.length]!.data), RECOGNITION_INPUT);
  faceApi.push(performance.now() - t);
}

// 1:N: a gallery of GALLERY faces, queried with perturbed gallery members (a returning member).
let seed = 7;
const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const gallery = new FaceGallery(128, GALLERY);
const flat = new Float32Array(GALLERY * 128);
for (let i = 0; i < flat.length; i++) flat[i] = (rnd() - 0.5) * 0.2;
for (let i = 0; i < GALLERY; i++) gallery.set(`t${i}`, flat.subarray(i * 128, (i + 1) * 128));
const tb = performance.now();
await gallery.rebuild();
const indexBuildMs = performance.now() - tb;
const search: number[] = [];
let correct = 0;
for (let i = 0; i < QUERIES + 10; i++) {
  const k = Math.floor(rnd() * GALLERY);
  const q = flat.slice(k * 128, (k + 1) * 128).map((v) => v + (rnd() - 0.5) * 0.02);
  const c = process.cpuUsage();
  const t = performance.now();
  const [best] = await gallery.search(q);
  const dt = performance.now() - t;
  const sc = cpuMs(c);
  if (i < 10) continue;
  search.push(dt);
  searchCpu.push(sc);
  if (best?.id === `t${k}`) correct++;
}
const scan: number[] = [];
for (let i = 0; i < 10; i++) {
  const q = flat.subarray(i * 128, (i + 1) * 128);
  const t = performance.now();
  let best = Infinity;
  for (let g = 0, o = 0; g < GALLERY; g++, o += 128) {
    let s = 0;
    for (let d = 0; d < 128; d++) { const x = flat[o + d]! - q[d]!; s += x * x; }
    if (s < best) best = s;
  }
  scan.push(performance.now() - t);
}
await gallery.close();
await pipeline.close();

const result = {
  frames: frames.length, rounds: ROUNDS,
  decode_ms_p50: pct(decode, 50),
  detect_ms_p50: pct(detect, 50), detect_ms_p99: pct(detect, 99),
  embed_ms_p50: pct(embed, 50), embed_ms_p99: pct(embed, 99),
  pipeline_ms_p50: pct(total, 50),
  embed_net_only_ms_p50: pct(netOnly, 50),
  faceapi_tfjs_cpu_embed_ms: pct(faceApi, 50),
  gallery: GALLERY, queries: QUERIES, match_1n_correct: correct,
  match_1n_ms_p50: pct(search, 50), match_1n_ms_p99: pct(search, 99),
  js_scan_ms_p50: pct(scan, 50), index_build_ms: Math.round(indexBuildMs),
  detect_cpu_ms_p50: pct(detectCpu, 50), embed_cpu_ms_p50: pct(embedCpu, 50), match_1n_cpu_ms_p50: pct(searchCpu, 50), match_1n_cpu_ms_p99: pct(searchCpu, 99),
  load_average_1m: Math.round(os.loadavg()[0]! * 100) / 100, cores: os.availableParallelism(),
};
log('');
log('stage                                   p50 ms   p99 ms');
log(`decode JPEG (sharp)                    ${String(result.decode_ms_p50).padStart(7)}`);
log(`detect + 68 landmarks + chip           ${String(result.detect_ms_p50).padStart(7)}  ${String(result.detect_ms_p99).padStart(7)}`);
log(`embedding (dlib ResNet, ONNX)          ${String(result.embed_ms_p50).padStart(7)}  ${String(result.embed_ms_p99).padStart(7)}`);
log(`  floor: net alone on a ready tensor   ${String(result.embed_net_only_ms_p50).padStart(7)}`);
log(`  baseline: face-api on tfjs CPU       ${String(result.faceapi_tfjs_cpu_embed_ms).padStart(7)}`);
log(`1:N over ${GALLERY} (index + re-rank)   ${String(result.match_1n_ms_p50).padStart(7)}  ${String(result.match_1n_ms_p99).padStart(7)}   (${correct}/${QUERIES} found)`);
log(`  baseline: plain JS scan              ${String(result.js_scan_ms_p50).padStart(7)}`);
log(`cpu ms p50: detect ${result.detect_cpu_ms_p50}, embed ${result.embed_cpu_ms_p50}, 1:N ${result.match_1n_cpu_ms_p50} (p99 ${result.match_1n_cpu_ms_p99}); load ${result.load_average_1m} on ${result.cores} cores`);
process.stdout.write(`${JSON.stringify(result)}\n`);
