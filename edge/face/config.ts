import { z } from 'zod';
import { cameraConfigSchema } from '../../hardware/camera/create.ts';

/**
 * Thresholds are euclidean distances between dlib descriptors, calibrated on face-api's demo
 * photos and variants (edge/face/calibration.test.ts): same-person pairs stayed under 0.18,
 * different-person pairs above 0.39. face-api's usual 0.6 lets about 6 % of different-person
 * pairs through on the same photos, so it is not used.
 */
export const FACE_THRESHOLD = 0.38;
/** 1:N compares against every enrolled face: stricter, and the runner-up must be clearly further. */
export const FACE_THRESHOLD_1N = 0.34;
export const FACE_MARGIN_1N = 0.06;

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
  minFaceWidth: z.number().int().min(16).max(2000).default(40),
  /** onnxruntime threads per model (see edge/face/onnx.ts for why one). */
  threads: z.number().int().min(1).max(16).default(1),
});
export type FaceConfig = z.output<typeof faceConfigSchema>;
