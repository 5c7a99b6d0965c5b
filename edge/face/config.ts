import { z } from 'zod';
import { cameraConfigSchema } from '../../hardware/camera/create.ts';
import { LIVENESS_THRESHOLD } from '../../shared/face/liveness.ts';
import { DEFAULT_QUALITY } from '../../shared/face/quality.ts';
import { FACE_MARGIN_1N, FACE_THRESHOLD, FACE_THRESHOLD_1N } from '../../shared/face/thresholds.ts';

export { FACE_MARGIN_1N, FACE_THRESHOLD, FACE_THRESHOLD_1N };

export const faceConfigSchema = z.strictObject({
  camera: cameraConfigSchema,
  /** 1:1 (ticket or ID card, then face): accepted at or under this distance. */
  threshold: z.number().min(0.05).max(1).default(FACE_THRESHOLD),
  /** 1:N (face only): accepted at or under this distance ... */
  thresholdOneToMany: z.number().min(0.05).max(1).default(FACE_THRESHOLD_1N),
  /** ... and only when the second-nearest face is at least this much further. */
  marginOneToMany: z.number().min(0).max(1).default(FACE_MARGIN_1N),
  /** Where the ONNX models are built (git-ignored); default data/models of the checkout. */
  modelDir: z.string().min(1).optional(),
  /** Pixels: a face narrower than this is not judged. */
  minFaceWidth: z.number().int().min(16).max(2000).default(DEFAULT_QUALITY.minFaceWidth),
  /** Frames taken to find one good enough to judge; between them the visitor hears "请正对镜头". */
  maxFrames: z.number().int().min(1).max(20).default(4),
  /** Liveness for ticket types with `livenessRequired` (shared/face/liveness.ts; measured by eval:face). */
  liveness: z.strictObject({
    frames: z.number().int().min(2).max(50).default(12),
    threshold: z.number().min(0.005).max(1).default(LIVENESS_THRESHOLD),
    intervalMs: z.number().int().min(20).max(2000).default(200),
  }).prefault({}),
  /** onnxruntime threads per model (see edge/face/onnx.ts for why one). */
  threads: z.number().int().min(1).max(16).default(1),
});
export type FaceConfig = z.output<typeof faceConfigSchema>;
