import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REFUSALS } from '../../shared/rules/reasons.ts';
import { buildClips, readManifest } from './build.ts';
import { promptTexts } from './prompts.ts';
import { parseWav } from './wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'voice-build-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('prompt texts cover every refusal and the admit prompts, without placeholders left over', () => {
  const texts = promptTexts();
  for (const key of [...REFUSALS, 'welcome', 'reentry', 'exit', 'emergency']) {
    for (const locale of ['zh-CN', 'en'] as const) {
      const text = texts[key]?.[locale];
      assert.ok(text && text.trim().length > 1, `${locale} ${key}`);
      assert.not.match(text!, /\?|undefined|：$|: $|， /, `${locale} ${key}: ${text}`);
    }
  }
  assert.is(texts.used?.['zh-CN'], '票已用完');
  assert.is(texts.expired?.en, 'Ticket expired');
});

test('espeak-ng speaks real WAV clips of sane length, in Chinese and English', async () => {
  const report = await buildClips({ outDir: dir, only: ['welcome', 'used'] });
  assert.equal(report.generated.sort(), ['en/used.wav', 'en/welcome.wav', 'zh-CN/used.wav', 'zh-CN/welcome.wav']);
  for (const file of report.generated) {
    const info = parseWav(readFileSync(join(dir, file)));
    assert.is(info.channels, 1);
    assert.is(info.bitsPerSample, 16);
    assert.is(info.sampleRate, 22050);
    // A few syllables: more than half a second, less than five.
    assert.ok(info.durationMs > 500 && info.durationMs < 5000, `${file}: ${info.durationMs} ms`);
    // Not silence: some samples are loud.
    const pcm = readFileSync(join(dir, file)).subarray(44);
    let peak = 0;
    for (let i = 0; i + 1 < pcm.length; i += 2) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i)));
    assert.ok(peak > 3000, `${file} peak ${peak}`);
    assert.is(report.manifest.clips[file]?.durationMs, info.durationMs);
  }
  const manifest = await readManifest(dir);
  assert.is(manifest.clips['zh-CN/welcome.wav']?.text, '欢迎光临，请通行');
  assert.is(manifest.clips['zh-CN/welcome.wav']?.hash.length, 64);
});

test('unchanged texts are kept; a changed text, a corrupt clip or --force regenerate', async () => {
  const texts = promptTexts();
  const again = await buildClips({ outDir: dir, only: ['welcome', 'used'], texts });
  assert.equal(again.generated, []);
  assert.is(again.kept.length, 4);
  const before = statSync(join(dir, 'en/used.wav')).mtimeMs;

  texts.used = { ...texts.used!, en: 'This ticket has been used' };
  writeFileSync(join(dir, 'zh-CN/welcome.wav'), 'RIFF junk');
  const changed = await buildClips({ outDir: dir, only: ['welcome', 'used'], texts });
  assert.equal(changed.generated.sort(), ['en/used.wav', 'zh-CN/welcome.wav']);
  assert.ok(statSync(join(dir, 'en/used.wav')).mtimeMs >= before);
  assert.is((await readManifest(dir)).clips['en/used.wav']?.text, 'This ticket has been used');
  parseWav(readFileSync(join(dir, 'zh-CN/welcome.wav')));

  const forced = await buildClips({ outDir: dir, only: ['used'], locales: ['en'], texts, force: true });
  assert.equal(forced.generated, ['en/used.wav']);
  // Building a subset keeps the rest of the manifest.
  assert.is(Object.keys(forced.manifest.clips).length, 4);
});

test('a full build removes clips of prompts that are gone', async () => {
  const texts = { welcome: promptTexts().welcome! };
  const report = await buildClips({ outDir: dir, texts });
  assert.equal(report.removed.sort(), ['en/used.wav', 'zh-CN/used.wav']);
  assert.equal(report.generated, []);
  assert.throws(() => statSync(join(dir, 'en/used.wav')));
});

test('a failing espeak-ng rejects and leaves the manifest as it was', async () => {
  const before = readFileSync(join(dir, 'manifest.json'), 'utf8');
  try {
    await buildClips({ outDir: dir, texts: { hello: { 'zh-CN': '你好', en: 'Hello' } }, espeakPath: '/nonexistent/espeak-ng' });
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /ENOENT/);
  }
  assert.is(readFileSync(join(dir, 'manifest.json'), 'utf8'), before);
  try {
    await buildClips({ outDir: dir, texts: { '../evil': { 'zh-CN': '你好', en: 'Hello' } } });
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /file name/);
  }
});

test('parseWav refuses what is not PCM WAV', () => {
  assert.throws(() => parseWav(Buffer.from('hello world!')), /RIFF/);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.write('WAVE', 8, 'latin1');
  assert.throws(() => parseWav(header), /no data chunk/);
});

test.run();
