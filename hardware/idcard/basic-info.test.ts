import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { decodeBasicInfo, encodeBasicInfo, PHOTO_BYTES } from './basic-info.ts';
import { NATIONS } from './nations.ts';
import type { SimIdCard } from './sam-sim.ts';

const photo = Buffer.alloc(PHOTO_BYTES, 0);
photo.write('WLT', 0);

const card: SimIdCard = {
  name: '张三', sexCode: '1', nationCode: '01', birthDate: '1949-12-31',
  address: '北京市西城区复兴门外大街999号院11号楼3单元502室', idNumber: '11010519491231002X',
  authority: '北京市公安局西城分局', validFrom: '2015-06-01', validUntil: '2035-06-01', photoWlt: photo,
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (e) {
    return e instanceof DeviceError ? e.code : String(e);
  }
}

test('round trip through the 256-byte UCS-2LE layout', () => {
  const data = encodeBasicInfo(card);
  assert.is(data.length, 4 + 256 + 1024);
  assert.equal([...data.subarray(0, 4)], [0x01, 0x00, 0x04, 0x00]);
  // name field: 张 = U+5F20, little endian, then spaces
  assert.equal([...data.subarray(4, 8)], [0x20, 0x5f, 0x09, 0x4e]);
  assert.equal([...data.subarray(8, 10)], [0x20, 0x00]);
  // sex at byte 30 of the text, nation at 32
  assert.is(data.subarray(4 + 30, 4 + 32).toString('utf16le'), '1');
  assert.is(data.subarray(4 + 32, 4 + 36).toString('utf16le'), '01');
  const info = decodeBasicInfo(data);
  assert.equal({ ...info, photoWlt: undefined }, {
    name: '张三', sex: '男', nation: '汉', nationCode: '01', birthDate: '1949-12-31',
    address: card.address, idNumber: '11010519491231002X', authority: '北京市公安局西城分局',
    validFrom: '2015-06-01', validUntil: '2035-06-01', photoWlt: undefined,
  });
  assert.equal(info.photoWlt, photo);
});

test('long-term validity, women, minority nations', () => {
  const info = decodeBasicInfo(encodeBasicInfo({ ...card, sexCode: '2', nationCode: '05', validUntil: null }));
  assert.is(info.validUntil, null);
  assert.is(info.sex, '女');
  assert.is(info.nation, '维吾尔');
  assert.is(decodeBasicInfo(encodeBasicInfo({ ...card, nationCode: '56' })).nation, '基诺');
  assert.is(decodeBasicInfo(encodeBasicInfo({ ...card, nationCode: '97' })).nation, '97'); // not in the table: the code
});

test('the nation table has the 56 GB 3304 codes', () => {
  const codes = Object.keys(NATIONS).sort();
  assert.is(codes.length, 56);
  assert.equal(codes, Array.from({ length: 56 }, (_, i) => String(i + 1).padStart(2, '0')));
  assert.is(new Set(Object.values(NATIONS).map((n) => n.zh)).size, 56);
});

test('malformed content is bad_frame', () => {
  const good = encodeBasicInfo(card);
  assert.is(codeOf(() => decodeBasicInfo(good.subarray(0, 100))), 'bad_frame');
  assert.is(codeOf(() => decodeBasicInfo(Buffer.alloc(2))), 'bad_frame');
  const wrongLen = Buffer.from(good);
  wrongLen.writeUInt16BE(0x0102, 0);
  assert.is(codeOf(() => decodeBasicInfo(wrongLen)), 'bad_frame');
  assert.is(codeOf(() => decodeBasicInfo(encodeBasicInfo({ ...card, birthDate: '1949-02-30' }))), 'bad_frame');
  assert.is(codeOf(() => decodeBasicInfo(encodeBasicInfo({ ...card, validUntil: '永久' }))), 'bad_frame');
  assert.is(codeOf(() => decodeBasicInfo(encodeBasicInfo({ ...card, sexCode: '3' }))), 'bad_frame');
  assert.is(codeOf(() => decodeBasicInfo(encodeBasicInfo({ ...card, nationCode: 'x' }))), 'bad_frame');
  assert.throws(() => encodeBasicInfo({ ...card, name: '一'.repeat(16) }), /longer/);
});

test.run();
