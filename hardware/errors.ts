/**
 * Stable codes for device failures, so the gate agent can tell "not wired" (a config fault)
 * from "busy" (a caller fault) without parsing messages.
 */
export type DeviceErrorCode =
  | 'not_started'
  | 'busy'
  | 'invalid_argument'
  | 'not_wired'
  | 'gpio_unavailable'
  // Serial readers (hardware/serial, scanner/serial, card, idcard):
  | 'serial_unavailable'
  | 'bad_frame'
  | 'bad_checksum'
  | 'line_too_long'
  | 'timeout'
  | 'no_card'
  | 'auth_failed'
  | 'device_status'
  | 'invalid_id_number'
  // GPIO and Firmata lines, Wiegand readers, voice clips, cameras:
  | 'firmata_unavailable'
  | 'bad_parity'
  | 'bad_length'
  | 'clip_missing'
  | 'player_failed'
  | 'capture_failed';

export class DeviceError extends Error {
  readonly code: DeviceErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: DeviceErrorCode, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceError';
    this.code = code;
    this.context = context;
  }
}
