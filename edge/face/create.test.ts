import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../shared/log/logger.ts';
import { openGateDb } from '../gate/db/open.ts';
import { loadGateConfig, parseGateConfig } from '../gate/config.ts';
import { GateStore } from '../gate/store.ts';
import { FACE_THRESHOLD } from './config.ts';
import { createFaceVerifier } from './create.ts';
import { readDemoPhoto } from '../../shared/face/testing/samples.ts';

test('the provisioning example with a camera parses; bad face keys are named', () => {
  const c = loadGateConfig(new URL('../../provisioning/gate/gate.face.example.json', import.meta.url).pathname);
  assert.is(c.face?.camera.driver, 'ffmpeg');
  assert.is(c.face?.threads, 1);
  const base = { device: 'g', site: 's', dataDir: '/tmp/x', cloudUrl: 'http://127.0.0.1:1', mqttUrl: 'mqtt://127.0.0.1:1' };
  assert.is(parseGateConfig({ ...base, face: { camera: { driver: 'sim', dir: '/tmp' } } }).face?.threshold, FACE_THRESHOLD);
  assert.throws(() => parseGateConfig({ ...base, face: { camera: { driver: 'sim', dir: '/tmp' }, threshold: 3 } }), /face\.threshold/);
  assert.throws(() => parseGateConfig({ ...base, face: { camera: { driver: 'sim', dir: '/tmp' }, thresold: 0.4 } }), /face/);
});

test('a verifier built from config: sim camera, models, a store to read faces from', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-face-create-'));
  try {
    writeFileSync(join(dir, 'group.jpg'), readDemoPhoto('sample1.jpg'));
    const c = parseGateConfig({
      device: 'g', site: 's', dataDir: dir, cloudUrl: 'http://127.0.0.1:1', mqttUrl: 'mqtt://127.0.0.1:1',
      face: { camera: { driver: 'sim', dir } },
    });
    const v = await createFaceVerifier(c.face!, silentLogger);
    const store = new GateStore(openGateDb(join(dir, 'gate.sqlite')));
    await v.start(store);
    try {
      assert.is(await v.verify({ ticketId: '00000000-0000-4000-8000-000000000001', credential: 'idcard' }), 'unavailable', 'no face bound');
      assert.equal(await v.identify(), { result: 'unavailable' }, 'nobody enrolled at this gate');
    } finally {
      await v.stop();
      store.db.$client.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
