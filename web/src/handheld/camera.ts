import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, MultiFormatReader, RGBLuminanceSource } from '@zxing/library';

/**
 * The phone's camera as a scanner: frames from getUserMedia drawn on a canvas and decoded with
 * ZXing (@zxing/library, pure JS, bundled into the page: no CDN, works offline, and in browsers
 * without BarcodeDetector such as Chromium on Linux). QR for the signed codes, CODE128 for the
 * pre-printed stock and the barcodes tickets are printed with, EAN-13 / CODE39 / ITF for older
 * stock.
 */
const FORMATS = [BarcodeFormat.QR_CODE, BarcodeFormat.CODE_128, BarcodeFormat.CODE_39, BarcodeFormat.EAN_13, BarcodeFormat.ITF];

/** Frames are scaled down to at most this many pixels across: a 1080p frame takes ~4x longer and reads no better. */
const MAX_WIDTH = 960;

/**
 * Each frame is read at the next of these sizes (of the width above). ZXing misses some QR
 * symbols at one module size and reads them at another: of 150 printed tickets held still in
 * front of a 640x960 camera, 10 were never read at full size, and none missed at all four sizes.
 * A phone held still would otherwise never read such a ticket.
 */
export const SCALES = [1, 0.75, 0.6, 0.5];

export interface CameraScan {
  /** Resolves with the first code read, or undefined when stopped or timed out. */
  result: Promise<string | undefined>;
  stop(): void;
}

export function scanWithCamera(video: HTMLVideoElement, opts: { timeoutMs?: number; intervalMs?: number } = {}): CameraScan {
  let stopped = false;
  const stop = () => { stopped = true; };
  const result = (async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 } }, audio: false });
    try {
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const reader = frameReader();
      const canvas = document.createElement('canvas');
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      const until = Date.now() + (opts.timeoutMs ?? 60_000);
      for (let frame = 0; !stopped && Date.now() < until; frame++) {
        const text = video.videoWidth ? decodeFrame(reader, video, canvas, g, SCALES[frame % SCALES.length]!) : undefined;
        if (text) return text;
        await new Promise((r) => setTimeout(r, opts.intervalMs ?? 120));
      }
      return undefined;
    } finally {
      for (const t of stream.getTracks()) t.stop();
      video.srcObject = null;
      video.hidden = true;
    }
  })();
  return { result, stop };
}

function decodeFrame(reader: MultiFormatReader, video: HTMLVideoElement, canvas: HTMLCanvasElement, g: CanvasRenderingContext2D, size: number): string | undefined {
  const scale = Math.min(1, MAX_WIDTH / video.videoWidth) * size;
  const w = Math.round(video.videoWidth * scale);
  const h = Math.round(video.videoHeight * scale);
  canvas.width = w;
  canvas.height = h;
  g.drawImage(video, 0, 0, w, h);
  return readFrame(reader, g.getImageData(0, 0, w, h).data, w, h);
}

/** The reader the camera decodes with: the formats above, trying harder. */
export function frameReader(): MultiFormatReader {
  const reader = new MultiFormatReader();
  reader.setHints(new Map<DecodeHintType, unknown>([[DecodeHintType.POSSIBLE_FORMATS, FORMATS], [DecodeHintType.TRY_HARDER, true]]));
  return reader;
}

/** One frame (RGBA, as a canvas gives it) read: the code's text, or undefined when none is found. */
export function readFrame(reader: MultiFormatReader, rgba: ArrayLike<number>, w: number, h: number): string | undefined {
  const lum = new Uint8ClampedArray(w * h);
  for (let i = 0, p = 0; i < lum.length; i++, p += 4) lum[i] = (rgba[p]! * 77 + rgba[p + 1]! * 150 + rgba[p + 2]! * 29) >> 8;
  try {
    return reader.decodeWithState(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(lum, w, h)))).getText();
  } catch {
    return undefined; // nothing found, or a checksum / format error on a blurred frame: the next frame
  } finally {
    reader.reset();
  }
}
