import type { CardEvents } from '../card/port.ts';
import type { DevicePort, TypedEmitter } from '../port.ts';
import type { WiegandKind } from './codec.ts';

export type { WiegandKind } from './codec.ts';

export interface WiegandEvents {
  /**
   * A card was read. Same shape as the serial card readers' `card` event: `uid` is uppercase
   * hex (the Wiegand payload), `kind` tells the frame length.
   */
  card: { uid: string; kind: WiegandKind; facility?: number; number?: number };
  /**
   * A frame that could not be used: DeviceError `bad_length` (bit count not 26 or 34),
   * `bad_parity`, or `bad_frame` (both data lines low at once: wiring fault or interference).
   * The reader carries on with the next frame.
   */
  error: Error;
}

/** A card reader on a Wiegand interface: read-only, it only reports cards as they are presented. */
export interface WiegandReader extends DevicePort, TypedEmitter<WiegandEvents> {}

/**
 * A card seen by any reader of a lane, serial (PN532) or Wiegand: both emit `card` with an
 * uppercase hex `uid`, so one handler can take either and bind or look up the same UID.
 */
export type AnyCardEvent = CardEvents['card'] | WiegandEvents['card'];
