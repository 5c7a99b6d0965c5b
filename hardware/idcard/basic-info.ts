import { DeviceError } from '../errors.ts';
import { NATIONS } from './nations.ts';

/** What the card holds in its basic-information file, decoded. */
export interface IdCardInfo {
  name: string;
  /** As printed: 男, 女, or 未知 / 未说明 (GB 2261.1 codes 0 and 9). */
  sex: string;
  /** As printed: 汉, 蒙古, ... (GB 3304); the code itself when not in the table. */
  nation: string;
  nationCode: string;
  /** YYYY-MM-DD */
  birthDate: string;
  address: string;
  idNumber: string;
  /** The issuing public security office. */
  authority: string;
  /** YYYY-MM-DD */
  validFrom: string;
  /** YYYY-MM-DD; null when the card is valid without end (长期). */
  validUntil: string | null;
  /** The photo as stored: 1024 bytes of WLT, decoded only by the licensed library. */
  photoWlt: Buffer;
}

export const TEXT_BYTES = 256;
export const PHOTO_BYTES = 1024;
export const LONG_TERM = '长期';

/** Widths in bytes of the UCS-2LE fields of the 256-byte text, in order (GA 467). */
const FIELDS = [
  ['name', 30], ['sex', 2], ['nation', 4], ['birth', 16], ['address', 70],
  ['idNumber', 36], ['authority', 30], ['validFrom', 16], ['validUntil', 16], ['reserved', 36],
] as const;
type Field = (typeof FIELDS)[number][0];

const SEX: Record<string, string> = { '0': '未知', '1': '男', '2': '女', '9': '未说明' };

/**
 * Decodes the data of a "read basic information" answer: text length (2, big endian), photo
 * length (2, big endian), the text, the photo. Throws DeviceError bad_frame on anything that is
 * not a well-formed card (lengths, dates, codes); the ID number's check digit is the caller's.
 */
export function decodeBasicInfo(data: Buffer): IdCardInfo {
  if (data.length < 4) throw new DeviceError('bad_frame', 'basic info too short', { length: data.length });
  const textLen = data.readUInt16BE(0);
  const photoLen = data.readUInt16BE(2);
  if (textLen !== TEXT_BYTES || photoLen !== PHOTO_BYTES || data.length < 4 + textLen + photoLen) {
    throw new DeviceError('bad_frame', 'basic info lengths do not match', { textLen, photoLen, length: data.length });
  }
  const text = decodeText(data.subarray(4, 4 + textLen));
  const sex = SEX[text.sex];
  if (!sex) throw new DeviceError('bad_frame', `unknown sex code "${text.sex}"`);
  if (!/^\d{2}$/.test(text.nation)) throw new DeviceError('bad_frame', `bad nation code "${text.nation}"`);
  return {
    name: text.name,
    sex,
    nation: NATIONS[text.nation]?.zh ?? text.nation,
    nationCode: text.nation,
    birthDate: isoDate(text.birth, 'birth date'),
    address: text.address,
    idNumber: text.idNumber.toUpperCase(),
    authority: text.authority,
    validFrom: isoDate(text.validFrom, 'valid from'),
    validUntil: text.validUntil === LONG_TERM ? null : isoDate(text.validUntil, 'valid until'),
    photoWlt: Buffer.from(data.subarray(4 + textLen, 4 + textLen + photoLen)),
  };
}

/** The inverse, for the simulator: the card's text and photo laid out as the SAM returns them. */
export function encodeBasicInfo(info: Omit<IdCardInfo, 'sex' | 'nation'> & { sexCode: string }): Buffer {
  const values: Record<Field, string> = {
    name: info.name, sex: info.sexCode, nation: info.nationCode, birth: info.birthDate.replaceAll('-', ''),
    address: info.address, idNumber: info.idNumber, authority: info.authority,
    validFrom: info.validFrom.replaceAll('-', ''), validUntil: info.validUntil === null ? LONG_TERM : info.validUntil.replaceAll('-', ''),
    reserved: '',
  };
  const text = Buffer.alloc(TEXT_BYTES);
  let at = 0;
  for (const [field, width] of FIELDS) {
    const bytes = Buffer.from(values[field], 'utf16le');
    if (bytes.length > width) throw new Error(`${field} is longer than ${width / 2} characters`);
    text.write(' '.repeat(width / 2), at, 'utf16le'); // unused space is UCS-2 spaces
    bytes.copy(text, at);
    at += width;
  }
  const photo = Buffer.alloc(PHOTO_BYTES);
  info.photoWlt.copy(photo);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(TEXT_BYTES, 0);
  head.writeUInt16BE(PHOTO_BYTES, 2);
  return Buffer.concat([head, text, photo]);
}

function decodeText(text: Buffer): Record<Field, string> {
  const out = {} as Record<Field, string>;
  let at = 0;
  for (const [field, width] of FIELDS) {
    out[field] = text.subarray(at, at + width).toString('utf16le').replace(/[\s\u0000]+$/u, '');
    at += width;
  }
  return out;
}

function isoDate(yyyymmdd: string, what: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd);
  const iso = m ? `${m[1]}-${m[2]}-${m[3]}` : '';
  const d = new Date(`${iso}T00:00:00Z`);
  if (!m || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso) {
    throw new DeviceError('bad_frame', `bad ${what} "${yyyymmdd}"`);
  }
  return iso;
}
