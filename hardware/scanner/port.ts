import type { DevicePort, TypedEmitter } from '../port.ts';

export interface ScannerEvents {
  /** One decoded code. `source` names the reader (a serial path, or "sim"), for lanes with several. */
  code: { text: string; source: string };
  error: Error;
}

export interface Scanner extends DevicePort, TypedEmitter<ScannerEvents> {}
