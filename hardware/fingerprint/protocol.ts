/**
 * Instruction codes and confirmation codes of the R30x / AS60x modules (R307 user manual,
 * "instruction set"). A command packet carries the instruction code then its parameters; the
 * ack packet carries the confirmation code then the results.
 */
export const INS = {
  genImg: 0x01,
  img2Tz: 0x02,
  match: 0x03,
  search: 0x04,
  regModel: 0x05,
  store: 0x06,
  loadChar: 0x07,
  upChar: 0x08,
  downChar: 0x09,
  empty: 0x0d,
  vfyPwd: 0x13,
  templateNum: 0x1d,
} as const;

export const CC = {
  ok: 0x00,
  /** The module could not take the packet (bad checksum, wrong length). */
  packetError: 0x01,
  noFinger: 0x02,
  enrollFailed: 0x03,
  /** Image too disorderly to make a character file. */
  disorderly: 0x06,
  /** Too few feature points. */
  fewFeatures: 0x07,
  noMatch: 0x08,
  notFound: 0x09,
  mergeFailed: 0x0a,
  pageOutOfRange: 0x0b,
  loadFailed: 0x0c,
  uploadFailed: 0x0d,
  downloadFailed: 0x0e,
  wrongPassword: 0x13,
  noValidImage: 0x15,
  flashError: 0x18,
} as const;

/** Template (character file) size of the R307 family; one CharBuffer or one library page. */
export const TEMPLATE_BYTES = 512;
