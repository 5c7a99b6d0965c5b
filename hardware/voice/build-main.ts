/**
 * `npm run build:voice [-- --out <dir>] [--force]`: speaks the gate's prompts into
 * data/voice/<locale>/<key>.wav with espeak-ng, regenerating only clips whose text changed.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildClips } from './build.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: resolve(import.meta.dirname, '../../data/voice') },
    force: { type: 'boolean', default: false },
  },
});
const report = await buildClips({ outDir: values.out!, force: values.force });
const total = Object.values(report.manifest.clips).reduce((ms, c) => ms + c.durationMs, 0);
process.stdout.write(
  `voice clips in ${values.out}: ${report.generated.length} generated, ${report.kept.length} unchanged, ` +
    `${report.removed.length} removed, ${(total / 1000).toFixed(1)} s of audio\n`,
);
