import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../../hardware/errors.ts';
import type { Camera, Frame } from '../../hardware/camera/port.ts';
import { TypedEventEmitter } from '../../hardware/port.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import type { FaceSource } from '../gate/face.ts';
import { FaceImageError } from '../../shared/face/image.ts';
import type { FaceAnalyser, FaceAnalysis } from '../../shared/face/pipeline.ts';
import { GateFaceVerifier } from './verifier.ts';

/**
 * The verifier's decisions, with the pipeline replaced by a table from frame to result (the
 * real pipeline is exercised by the calibration and end-to-end suites): thresholds, the 1:N
 * margin, other models, expiry, camera failures.
 */
const T = { dims: 4, model: 'm1' };
const vec = (...v: number[]) => Float32Array.from(v);
const timings = { decodeMs: 0, detectMs: 0, landmarksMs: 0, chipMs: 0, embedMs: 0 };

class TableAnalyser implements FaceAnalyser {
  readonly model = T.model;
  readonly embedder = { dims: T.dims };
  constructor(private readonly table: Map<string, FaceAnalysis | 'junk'>) {}
  async analyse(input: Buffer): Promise<FaceAnalysis> {
    const r = this.table.get(input.toString());
    if (!r || r === 'junk') throw new FaceImageError('not an image');
    return r;
  }
  async close(): Promise<void> {}
}
const face = (e: Float32Array): FaceAnalysis => ({ kind: 'face', embedding: e, model: T.model, box: { x: 0, y: 0, width: 100, height: 100, score: 0.9 }, landmarks: [], quality: { width: 100, sharpness: 0.1, yaw: 0, pitch: 0.5, eyes: 0.3 }, timings });

class StubCamera extends TypedEventEmitter<{ error: Error }> implements Camera {
  shows = 'a';
  /** Frames to show first, one per capture, before `shows`. */
  queue: string[] = [];
  broken = false;
  async start() {}
  async stop() {}
  async capture(): Promise<Frame> {
    if (this.broken) throw new DeviceError('capture_failed', 'no frame');
    return { data: Buffer.from(this.queue.shift() ?? this.shows), format: 'jpeg', at: Date.now() };
  }
}

class MemorySource implements FaceSource {
  rows = new Map<string, { model: string; embedding: Float32Array; validUntil: number }>();
  onFaces: FaceSource['onFaces'];
  face(id: string, nowS: number) {
    const r = this.rows.get(id);
    return r && r.validUntil > nowS ? r : undefined;
  }
  *faces(nowS: number) {
    for (const [ticketId, r] of this.rows) if (r.validUntil > nowS) yield { ticketId, ...r };
  }
  purgeExpiredFaces(nowS: number) {
    const gone = [...this.rows].filter(([, r]) => r.validUntil <= nowS).map(([id]) => id);
    for (const id of gone) this.rows.delete(id);
    return gone;
  }
}

const poor = (): FaceAnalysis => ({ kind: 'poor_quality', issues: ['turned_away'], box: { x: 0, y: 0, width: 100, height: 100, score: 0.9 }, landmarks: [], quality: { width: 100, sharpness: 0.1, yaw: 0.4, pitch: 0.5, eyes: 0.3 }, timings });
/** 68 landmarks on a grid; `bend` moves the middle ones against the rest (a face turning), which no homography does. */
const grid68 = (shift: number, bend = 0) => Array.from({ length: 68 }, (_, i) => ({ x: 100 + (i % 9) * 20 + shift + (i >= 27 && i <= 35 ? bend : 0), y: 100 + Math.floor(i / 9) * 20 }));
const faceAt = (e: Float32Array, landmarks: { x: number; y: number }[]): FaceAnalysis => ({ ...face(e), landmarks } as FaceAnalysis);

async function setup() {
  let now = 1_700_000_000_000;
  const nowS = () => Math.floor(now / 1000);
  const table = new Map<string, FaceAnalysis | 'junk'>([
    ['a', face(vec(0, 0, 0, 0))], ['a2', face(vec(0.1, 0, 0, 0))], ['b', face(vec(1, 0, 0, 0))],
    ['between', face(vec(0.5, 0.02, 0, 0))], ['nobody', { kind: 'no_face', timings }], ['crowd', { kind: 'several_faces', count: 3, timings }], ['junk', 'junk'],
    ['sideways', poor()], ['still0', faceAt(vec(0, 0, 0, 0), grid68(0))], ['still1', faceAt(vec(0, 0, 0, 0), grid68(6))],
    ['turn1', faceAt(vec(0, 0, 0, 0), grid68(3, 12))],
  ]);
  const camera = new StubCamera();
  const source = new MemorySource();
  source.rows.set('A', { model: 'm1', embedding: vec(0, 0, 0, 0), validUntil: nowS() + 3600 });
  source.rows.set('B', { model: 'm1', embedding: vec(1, 0, 0, 0), validUntil: nowS() + 60 });
  source.rows.set('OLD', { model: 'm0', embedding: vec(0, 0, 0, 0), validUntil: nowS() + 3600 });
  const v = new GateFaceVerifier({
    camera, pipeline: new TableAnalyser(table), threshold: 0.38, thresholdOneToMany: 0.34, marginOneToMany: 0.06, log: silentLogger, now: () => now,
    sleep: async () => {}, liveness: { frames: 4, threshold: 0.04, intervalMs: 0 },
  });
  const prompts: string[] = [];
  await v.start(source, { prompt: (p) => prompts.push(p.message) });
  return { v, camera, source, prompts, advance: (ms: number) => { now += ms; }, nowS };
}

test('1:1: match, mismatch, no face, several, unreadable frame, broken camera', async () => {
  const { v, camera } = await setup();
  try {
    const ask = async (frame: string, ticketId = 'A') => { camera.shows = frame; return v.verify({ ticketId, credential: 'idcard' }); };
    assert.is(await ask('a2'), 'match');
    assert.is(await ask('b'), 'mismatch');
    assert.is(await ask('nobody'), 'no_face');
    assert.is(await ask('crowd'), 'several_faces');
    assert.is(await ask('junk'), 'unavailable');
    camera.broken = true;
    assert.is(await ask('a'), 'unavailable');
    camera.broken = false;
    assert.is(await ask('a', 'NONE'), 'unavailable', 'no face bound to the ticket');
    assert.is(await ask('a', 'OLD'), 'unavailable', 'enrolled with another model: enrol again');
  } finally {
    await v.stop();
  }
});

test('1:N: the nearest face, only when clearly nearest; other models never; expiry and removal', async () => {
  const { v, camera, source, advance } = await setup();
  try {
    const who = async (frame: string) => { camera.shows = frame; return v.identify(); };
    assert.equal(await who('a2'), { result: 'match', ticketId: 'A', distance: 0.10000000149011612 });
    assert.equal(await who('b'), { result: 'match', ticketId: 'B', distance: 0 });
    assert.equal(await who('between'), { result: 'mismatch' }, 'too far from anyone');
    assert.equal(await who('nobody'), { result: 'no_face' });
    // A second enrolment close to A makes A ambiguous.
    source.onFaces!([{ ticketId: 'A-twin', model: 'm1', embedding: vec(0.1, 0.07, 0, 0), validUntil: 2_000_000_000 }]);
    assert.equal(await who('a2'), { result: 'mismatch' }, 'runner-up within the margin');
    source.onFaces!([{ ticketId: 'A-twin', model: 'm1', embedding: null, validUntil: 0 }]);
    assert.is((await who('a2')).result, 'match');
    // Faces of another model are not in the gallery; expired ones leave it.
    source.onFaces!([{ ticketId: 'X', model: 'm0', embedding: vec(0.1, 0, 0, 0), validUntil: 2_000_000_000 }]);
    assert.equal(await who('a2'), { result: 'match', ticketId: 'A', distance: 0.10000000149011612 });
    advance(120_000);
    v.purge();
    assert.equal(await who('b'), { result: 'mismatch' }, 'B expired');
    assert.not.ok(source.rows.has('B'), 'and was deleted from the store');
    source.onFaces!([], true);
    assert.is((await who('a2')).result, 'match', 'a cache reset reloads what the store holds');
  } finally {
    await v.stop();
  }
});

test('a frame not usable is not a refusal: 请正对镜头 and another frame, up to maxFrames', async () => {
  const { v, camera, prompts } = await setup();
  try {
    camera.queue = ['sideways', 'crowd', 'nobody'];
    camera.shows = 'a2';
    assert.is(await v.verify({ ticketId: 'A', credential: 'idcard' }), 'match', 'the fourth frame is good');
    assert.equal(prompts, ['请正对镜头', '请正对镜头', '请正对镜头']);
    prompts.length = 0;
    camera.shows = 'sideways';
    assert.is(await v.verify({ ticketId: 'A', credential: 'idcard' }), 'no_face', 'never a usable face in four frames');
    assert.is(prompts.length, 3);
  } finally {
    await v.stop();
  }
});

test('liveness: a face that moves like a plane is not live; one that turns is', async () => {
  const { v, camera, prompts } = await setup();
  try {
    camera.queue = ['still0'];
    camera.shows = 'still1';
    assert.is(await v.verify({ ticketId: 'A', credential: 'idcard', liveness: true }), 'not_live');
    assert.ok(prompts.includes('请缓慢转头'));
    camera.queue = ['still0', 'still1'];
    camera.shows = 'turn1';
    assert.is(await v.verify({ ticketId: 'A', credential: 'idcard', liveness: true }), 'match');
    camera.queue = ['still0'];
    camera.shows = 'nobody';
    assert.is(await v.verify({ ticketId: 'A', credential: 'idcard', liveness: true }), 'not_live', 'the face went away');
    // 1:N, then the liveness check the ticket type asks for.
    camera.queue = ['still0'];
    camera.shows = 'turn1';
    assert.is((await v.identify()).result, 'match');
    assert.is(await v.live(), true);
    camera.queue = ['still0'];
    camera.shows = 'still1';
    assert.is((await v.identify()).result, 'match');
    assert.is(await v.live(), false);
  } finally {
    await v.stop();
  }
});

test.run();
