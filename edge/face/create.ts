import { createCamera } from '../../hardware/camera/create.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { FaceConfig } from './config.ts';
import { FacePipeline } from '../../shared/face/pipeline.ts';
import { GateFaceVerifier } from './verifier.ts';

/** The gate's face verifier from its config: camera driver, models (built on first use), thresholds. */
export async function createFaceVerifier(config: FaceConfig, log: Logger, now?: () => number): Promise<GateFaceVerifier> {
  const camera = await createCamera(config.camera);
  const pipeline = await FacePipeline.open({ modelDir: config.modelDir, threads: config.threads, minFaceWidth: config.minFaceWidth });
  return new GateFaceVerifier({
    camera, pipeline, threshold: config.threshold, thresholdOneToMany: config.thresholdOneToMany, marginOneToMany: config.marginOneToMany, log, now,
    maxFrames: config.maxFrames, liveness: config.liveness,
  });
}
