import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type Timers } from '../timers.ts';
import type { Camera, CameraEvents, Frame, FrameFormat } from './port.ts';

export interface SimCameraOptions {
  /** Folder of .jpg/.jpeg/.png images, served in name order, cycling. */
  dir: string;
  /** Serve only this file (a name inside `dir`) until select() changes it. */
  file?: string;
  timers?: Timers;
}

const FORMATS: Record<string, FrameFormat> = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png' };

/**
 * A camera that serves images from a folder, for a gate without a camera and for tests of the
 * face check: put the photos a test needs in a folder and select() the one "in front of" it.
 * Each capture reads the file anew, so an image can be swapped while the gate runs. A file
 * whose bytes are not the JPEG or PNG its name says fails the capture, as a broken camera would.
 */
export class SimCamera extends TypedEventEmitter<CameraEvents> implements Camera {
  readonly #dir: string;
  readonly #timers: Timers;
  #file: string | undefined;
  #started = false;
  #next = 0;
  /** Names served, in order, for tests and a console view. */
  readonly served: string[] = [];

  constructor(options: SimCameraOptions) {
    super();
    this.#dir = options.dir;
    this.#file = options.file;
    this.#timers = options.timers ?? realTimers;
  }

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
  }

  /** Serve this file from now on; undefined goes back to cycling through the folder. */
  select(file: string | undefined): void {
    if (file !== undefined && (file.includes('/') || file.includes('\\') || !(extname(file).toLowerCase() in FORMATS))) {
      throw new DeviceError('invalid_argument', 'file must be a .jpg, .jpeg or .png name inside the folder', { file });
    }
    this.#file = file;
  }

  async capture(): Promise<Frame> {
    if (!this.#started) throw new DeviceError('not_started', 'camera is not started');
    const name = this.#file ?? (await this.#cycle());
    let data: Buffer;
    try {
      data = await readFile(join(this.#dir, name));
    } catch (cause) {
      throw new DeviceError('capture_failed', `cannot read ${name}`, { dir: this.#dir, file: name }, { cause });
    }
    const format = FORMATS[extname(name).toLowerCase()];
    if (!format || sniff(data) !== format) {
      throw new DeviceError('capture_failed', `${name} is not a ${format ?? 'known'} image`, { file: name });
    }
    this.served.push(name);
    return { data, format, at: this.#timers.now() };
  }

  async #cycle(): Promise<string> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter((n) => extname(n).toLowerCase() in FORMATS).sort();
    } catch (cause) {
      throw new DeviceError('capture_failed', `cannot list ${this.#dir}`, { dir: this.#dir }, { cause });
    }
    if (names.length === 0) throw new DeviceError('capture_failed', `no images in ${this.#dir}`, { dir: this.#dir });
    const name = names[this.#next % names.length]!;
    this.#next = (this.#next + 1) % names.length;
    return name;
  }
}

function sniff(data: Buffer): FrameFormat | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  return undefined;
}
