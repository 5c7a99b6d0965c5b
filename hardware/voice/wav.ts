/**
 * The facts of a PCM WAV file needed to check a generated clip: RIFF/WAVE container, a `fmt `
 * chunk (format 1 = PCM), and a `data` chunk; chunks are walked by their sizes (padded to
 * even lengths) so LIST or other chunks in between are skipped.
 */
export interface WavInfo {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataBytes: number;
  durationMs: number;
}

export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: { format: number; channels: number; sampleRate: number; byteRate: number; bitsPerSample: number } | undefined;
  for (let i = 12; i + 8 <= buf.length; ) {
    const id = buf.toString('latin1', i, i + 4);
    const size = buf.readUInt32LE(i + 4);
    const body = i + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new Error('short fmt chunk');
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      if (fmt.format !== 1) throw new Error(`not PCM (format ${fmt.format})`);
      if (fmt.channels < 1 || fmt.sampleRate < 1 || fmt.byteRate !== (fmt.sampleRate * fmt.channels * fmt.bitsPerSample) / 8) {
        throw new Error('inconsistent fmt chunk');
      }
      // A writer that streamed may leave the size at its maximum: take what is there.
      const dataBytes = Math.min(size, buf.length - body);
      return {
        channels: fmt.channels,
        sampleRate: fmt.sampleRate,
        bitsPerSample: fmt.bitsPerSample,
        dataBytes,
        durationMs: Math.round((dataBytes / fmt.byteRate) * 1000),
      };
    }
    i = body + size + (size % 2);
  }
  throw new Error('no data chunk');
}
