import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FacePipeline } from '../shared/face/pipeline.ts';
import { portraits, readDemoPhoto, variants } from '../shared/face/testing/samples.ts';
import { GateFaceVerifier } from '../edge/face/verifier.ts';
import { GateAgent } from '../edge/gate/agent.ts';
import { consoleApp } from '../edge/gate/console.ts';
import { parseGateConfig } from '../edge/gate/config.ts';
import { SimCamera } from '../hardware/camera/sim.ts';
import { SimScanner } from '../hardware/scanner/sim.ts';
import { SimTurnstile } from '../hardware/turnstile/sim.ts';
import { api, login, startTestCloud, TEST_ADMIN_PASSWORD, testLog, waitFor } from './support/cloud.ts';
import { withGateToken } from './support/devices.ts';
import { provision } from './support/provision.ts';

/**
 * Face binding at HQ and the face check at a gate, end to end: photos enrolled through the
 * HTTP API, embeddings carried to the gate by the change log and kept sealed there, frames
 * from the (simulated) camera through the same pipeline, the decision through the rule engine.
 */
const ID_NUMBER = '11010519491231002X';

test('ID card + face (1:1), and face-only entry (1:N) offline', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-f', lanes: ['lane-1'] }]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-gate-face-'));
  const frames = mkdtempSync(join(tmpdir(), 'tk-frames-'));
  const pipeline = await FacePipeline.open();
  let gate: GateAgent | undefined;
  try {
    // Three people from the demo photos: A holds a real-name ticket, B an annual card, C neither.
    const people = (await portraits(pipeline, ['sample2.jpg', 'sample5.jpg', 'sample6.jpg'])).filter((p) => ['sample2#0', 'sample5#0', 'sample6#0'].includes(p.person));
    assert.is(people.length, 3);
    const [a, b, c] = people as [typeof people[0], typeof people[0], typeof people[0]];
    const frameOf = async (p: typeof a) => (await variants(p)).find((v) => v.name === 'darker')!.jpeg;
    writeFileSync(join(frames, 'a.jpg'), await frameOf(a));
    writeFileSync(join(frames, 'b.jpg'), await frameOf(b));
    writeFileSync(join(frames, 'c.jpg'), await frameOf(c));
    writeFileSync(join(frames, 'group.jpg'), readDemoPhoto('sample1.jpg'));
    writeFileSync(join(frames, 'nobody.jpg'), await sharp({ create: { width: 640, height: 480, channels: 3, background: '#6a7a8a' } }).jpeg().toBuffer());

    const realName = { code: 'realname', name: '实名票', priceFen: 10000, validityDays: 1, entries: 1, persons: 1, rules: { kind: 'visitor', faceRequired: true } };
    const annual = { code: 'annual', name: '年卡', priceFen: 30000, validityDays: 365, entries: 0, persons: 1, rules: { kind: 'member', faceRequired: true } };
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: realName })).status, 201);
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: annual })).status, 201);
    const t1 = (await api(cloud.url, '/api/v1/sales', { body: { type: 'realname', quantity: 1 } })).body.tickets[0];
    const t2 = (await api(cloud.url, '/api/v1/sales', { body: { type: 'annual', quantity: 1 } })).body.tickets[0];
    assert.is((await api(cloud.url, `/api/v1/tickets/${t1.id}/credentials`, { body: { kind: 'idcard', value: ID_NUMBER } })).status, 201);

    // Enrolment: A as base64 JSON (the window camera), B as a JPEG body (an upload).
    const e1 = await api(cloud.url, `/api/v1/tickets/${t1.id}/face`, { body: { image: a.jpeg.toString('base64'), source: 'window-camera' } });
    assert.is(e1.status, 201, JSON.stringify(e1.body));
    assert.is(e1.body.model, pipeline.model, 'HQ and gate run the same model');
    const token = await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD);
    const up = await fetch(`${cloud.url}/api/v1/tickets/${t2.id}/face`, { method: 'POST', headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${token}` }, body: b.jpeg });
    assert.is(up.status, 201, await up.clone().text());
    const info = await api(cloud.url, `/api/v1/tickets/${t2.id}/face`);
    assert.is(info.body.source, 'upload');
    assert.not.ok('embedding' in info.body, 'the embedding is not handed out');

    // Bad photos get their own errors, and nothing is stored for them.
    const none = await api(cloud.url, `/api/v1/tickets/${t2.id}/face`, { body: { image: readFileSync(join(frames, 'nobody.jpg')).toString('base64') } });
    assert.is(none.status, 422);
    assert.is(none.body.error.code, 'no_face');
    const junk = await api(cloud.url, `/api/v1/tickets/${t2.id}/face`, { body: { image: Buffer.from('not an image at all').toString('base64') } });
    assert.is(junk.status, 400);
    assert.is(junk.body.error.code, 'bad_image');
    const missing = await api(cloud.url, `/api/v1/tickets/00000000-0000-4000-8000-000000000000/face`, { body: { image: a.jpeg.toString('base64') } });
    assert.is(missing.status, 404);

    const camera = new SimCamera({ dir: frames, file: 'a.jpg' });
    const verifier = new GateFaceVerifier({ camera, pipeline, threshold: 0.38, thresholdOneToMany: 0.34, marginOneToMany: 0.06, log: testLog.child('face') });
    const config = parseGateConfig(withGateToken({
      device: 'gate-f', site: 'demo', lane: 'lane-1', dataDir, cloudUrl: cloud.url, mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, pullIntervalMs: 300,
    }));
    gate = new GateAgent(config, { turnstile: new SimTurnstile({ autoPass: true, passDelayMs: 5 }), scanner: new SimScanner(), face: verifier, log: testLog.child('gate') });
    await gate.start();
    const store = gate.store;
    const nowS = () => Math.floor(Date.now() / 1000);
    await waitFor('both faces at the gate', () => store.face(t1.id, nowS()) && store.face(t2.id, nowS()), 15_000);
    const sealed = store.db.$client.prepare('select sealed from faces where ticket_id = ?').get(t1.id) as { sealed: Buffer };
    const plain = store.face(t1.id, nowS())!.embedding;
    assert.not.ok(sealed.sealed.includes(Buffer.from(plain.buffer).subarray(0, 16)), 'kept encrypted at rest');

    // 1:1 after the ID card: another person, nobody, then the right person.
    camera.select('c.jpg');
    const other = await gate.present({ kind: 'idcard', value: ID_NUMBER });
    assert.is(other.admit, false);
    assert.is(other.reason, 'face_mismatch');
    assert.is(other.message, '人脸与票不符');
    camera.select('nobody.jpg');
    const empty = await gate.present({ kind: 'idcard', value: ID_NUMBER });
    assert.is(empty.reason, 'no_face');
    camera.select('a.jpg');
    const ok = await gate.present({ kind: 'idcard', value: ID_NUMBER });
    assert.is(ok.admit, true, ok.message);
    assert.is(ok.ticketId, t1.id);

    // 1:N with HQ gone: the member walks up, nothing presented but the face.
    await cloud.cleanup();
    camera.select('b.jpg');
    const member = await gate.presentFace();
    assert.is(member.admit, true, member.message);
    assert.is(member.ticketId, t2.id);
    assert.is(member.credential, 'face');
    assert.is(member.persons, 1);
    camera.select('c.jpg');
    const viaConsole = await consoleApp(gate).request('/face', { method: 'POST' });
    assert.is(viaConsole.status, 200);
    assert.is((await viaConsole.json() as { reason: string }).reason, 'face_mismatch', 'the lane console triggers a face entry too');
    const stranger = await gate.presentFace();
    assert.is(stranger.admit, false);
    assert.is(stranger.reason, 'face_mismatch');
    camera.select('nobody.jpg');
    assert.is((await gate.presentFace()).reason, 'no_face');
    camera.select('group.jpg');
    const group = await gate.presentFace();
    assert.is(group.reason, 'several_faces');
    assert.is(group.message, '检测到多张人脸，请一人一验');
    assert.equal(gate.store.entriesFor(t2.id).map((e) => e.kind), ['normal']);
  } finally {
    await gate?.stop();
    await cloud.cleanup().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(frames, { recursive: true, force: true });
  }
});

test.run();
