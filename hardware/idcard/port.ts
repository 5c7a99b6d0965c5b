import type { DevicePort, TypedEmitter } from '../port.ts';
import type { IdCardInfo } from './basic-info.ts';

export type { IdCardInfo } from './basic-info.ts';

export interface IdCardEvents {
  /**
   * A second-generation ID card was read: once per presentation, and only when its ID number
   * passes the GB 11643 check (a failing one is an `error` with code invalid_id_number).
   */
  idcard: IdCardInfo;
  error: Error;
}

/** A resident ID card reader (SAM module on a serial line). It only reads; it polls by itself. */
export interface IdCardReader extends DevicePort, TypedEmitter<IdCardEvents> {}
