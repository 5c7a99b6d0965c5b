import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { JpegSplitter } from './jpeg-splitter.ts';
import type { Camera, CameraEvents, Frame } from './port.ts';

export interface FfmpegCameraOptions {
  /** V4L2 device, default /dev/video0. */
  device?: string;
  /** Frame size asked of the device, e.g. '640x480'; the device's default when absent. */
  size?: string;
  /** Frames per second asked of the device and kept in the stream (default 5). */
  fps?: number;
  /**
   * ffmpeg input arguments replacing `-f v4l2 ... -i <device>`, e.g.
   * `['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=10']` where there is no camera.
   */
  input?: string[];
  /** JPEG quality as ffmpeg's -q:v, 2 (best) to 31 (default 5). */
  quality?: number;
  ffmpegPath?: string;
  /** capture() returns the newest frame when it is at most this old, else waits for the next (default 500). */
  maxAgeMs?: number;
  /** capture() fails with `capture_failed` when no frame comes in this long (default 5000). */
  captureTimeoutMs?: number;
  /**
   * Wait before restarting ffmpeg after it exits on its own (default 1000), doubled after each
   * exit without a frame up to `maxRestartDelayMs` (default 30000): an unplugged camera is
   * retried, not hammered.
   */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  timers?: Timers;
}

interface Waiter {
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

/**
 * A V4L2 camera read through one long-running ffmpeg that encodes the stream to MJPEG on its
 * stdout; the images are cut apart by JpegSplitter and the newest is kept. A process per
 * capture would be simpler, but opening the device, negotiating the format and letting auto
 * exposure settle take most of a second, and the first frames after opening are often dark:
 * a face check at a gate cannot wait that long. The cost is a few per cent of a core for
 * encoding at a low frame rate, and the device stays busy while the driver runs.
 */
export class FfmpegCamera extends TypedEventEmitter<CameraEvents> implements Camera {
  readonly #args: string[];
  readonly #ffmpegPath: string;
  readonly #maxAgeMs: number;
  readonly #captureTimeoutMs: number;
  readonly #restartDelayMs: number;
  readonly #maxRestartDelayMs: number;
  /** Exits since the last frame. */
  #failures = 0;
  readonly #timers: Timers;
  #started = false;
  #child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  #exited: Promise<void> | undefined;
  #restartTimer: TimerHandle | undefined;
  #latest: Frame | undefined;
  readonly #waiters = new Set<Waiter>();
  #stderrTail = '';

  constructor(options: FfmpegCameraOptions = {}) {
    super();
    const fps = options.fps ?? 5;
    const input = options.input ?? [
      '-f', 'v4l2',
      '-framerate', String(fps),
      ...(options.size ? ['-video_size', options.size] : []),
      '-i', options.device ?? '/dev/video0',
    ];
    this.#args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      ...input,
      '-an', '-r', String(fps),
      '-f', 'image2pipe', '-vcodec', 'mjpeg', '-q:v', String(options.quality ?? 5),
      '-',
    ];
    this.#ffmpegPath = options.ffmpegPath ?? 'ffmpeg';
    this.#maxAgeMs = options.maxAgeMs ?? 500;
    this.#captureTimeoutMs = options.captureTimeoutMs ?? 5000;
    this.#restartDelayMs = options.restartDelayMs ?? 1000;
    this.#maxRestartDelayMs = Math.max(this.#restartDelayMs, options.maxRestartDelayMs ?? 30_000);
    this.#timers = options.timers ?? realTimers;
  }

  /** Process id of the running ffmpeg, for diagnostics. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The ffmpeg command line, for logs and tests. */
  get args(): readonly string[] {
    return this.#args;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#failures = 0;
    this.#spawn();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#timers.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#failWaiters(new DeviceError('not_started', 'camera stopped before a frame came'));
    const child = this.#child;
    const exited = this.#exited;
    if (child && exited) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(kill);
    }
    this.#latest = undefined;
  }

  capture(): Promise<Frame> {
    if (!this.#started) return Promise.reject(new DeviceError('not_started', 'camera is not started'));
    const latest = this.#latest;
    if (latest && this.#timers.now() - latest.at <= this.#maxAgeMs) return Promise.resolve(latest);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: this.#timers.setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(
            new DeviceError('capture_failed', `no frame from the camera within ${this.#captureTimeoutMs} ms`, {
              stderr: this.#stderrTail.trim(),
            }),
          );
        }, this.#captureTimeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  #spawn(): void {
    const splitter = new JpegSplitter();
    this.#stderrTail = '';
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(this.#ffmpegPath, this.#args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      this.#onExit(error as Error);
      return;
    }
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      let spawnError: Error | undefined;
      child.once('error', (error) => (spawnError = error));
      child.once('close', (code, signal) => {
        this.#child = undefined;
        this.#exited = undefined;
        resolve();
        this.#onExit(spawnError ?? new Error(`ffmpeg exited with ${signal ?? `code ${code}`}`));
      });
    });
    child.stdout.on('data', (chunk: Buffer) => {
      for (const data of splitter.push(chunk)) this.#onFrame({ data, format: 'jpeg', at: this.#timers.now() });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-2000);
    });
  }

  #onFrame(frame: Frame): void {
    this.#latest = frame;
    this.#failures = 0;
    for (const waiter of this.#waiters) {
      this.#timers.clearTimeout(waiter.timer);
      waiter.resolve(frame);
    }
    this.#waiters.clear();
  }

  #onExit(cause: Error): void {
    if (!this.#started) return;
    const error = new DeviceError('capture_failed', `camera process ended: ${cause.message}`, { stderr: this.#stderrTail.trim() }, { cause });
    // Waiters keep waiting through a restart: their own timeout bounds them.
    this.#latest = undefined;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    const delay = Math.min(this.#maxRestartDelayMs, this.#restartDelayMs * 2 ** this.#failures);
    this.#failures++;
    this.#restartTimer = this.#timers.setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#started) this.#spawn();
    }, delay);
  }

  #failWaiters(error: Error): void {
    for (const waiter of this.#waiters) {
      this.#timers.clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
  }
}
