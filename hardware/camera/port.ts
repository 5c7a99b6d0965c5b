import type { DevicePort, TypedEmitter } from '../port.ts';

export type FrameFormat = 'jpeg' | 'png';

/** One still image from a camera. */
export interface Frame {
  /** The encoded image, as it would be written to a file. */
  data: Buffer;
  format: FrameFormat;
  /** When the frame was taken (ms since 1970, from the driver's clock). */
  at: number;
}

export interface CameraEvents {
  /** A failure outside capture(): the capture process died, the device went away. */
  error: Error;
}

/**
 * A still camera at a lane (face check, evidence photo of a forced passage). capture() resolves
 * with the newest frame the camera can give; it rejects with a DeviceError when not started
 * (`not_started`) or when no frame could be had (`capture_failed`).
 */
export interface Camera extends DevicePort, TypedEmitter<CameraEvents> {
  capture(): Promise<Frame>;
}
