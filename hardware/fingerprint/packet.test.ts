import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataPackets, encodePacket, PacketParser, PID } from './packet.ts';

// GenImg to the factory address, as printed in the R307 manual.
const GEN_IMG = Buffer.from('ef01ffffffff010003010005', 'hex');

test('a command packet is laid out as the manual prints it', () => {
  assert.equal(encodePacket({ address: 0xffffffff, pid: PID.command, payload: Buffer.from([0x01]) }), GEN_IMG);
  // VfyPwd 0: EF01 FFFFFFFF 01 0007 13 00000000 001B
  assert.is(encodePacket({ address: 0xffffffff, pid: PID.command, payload: Buffer.from([0x13, 0, 0, 0, 0]) }).toString('hex'), 'ef01ffffffff0100071300000000001b');
});

test('split byte by byte, with noise and a corrupt packet between: the good ones come out', () => {
  const p = new PacketParser();
  const bad = Buffer.from(GEN_IMG);
  bad[bad.length - 1] = 0xff ^ bad[bad.length - 1]!;
  const stream = Buffer.concat([Buffer.from([0x00, 0x12]), GEN_IMG, bad, GEN_IMG]);
  const out = [...stream].flatMap((b) => p.push(Buffer.from([b])));
  const packets = out.filter((o) => 'packet' in o);
  assert.is(packets.length, 2);
  const codes = new Set(out.map((o) => ('error' in o ? o.error.code : 'packet')));
  assert.equal([...codes].sort(), ['bad_checksum', 'bad_frame', 'packet']);
  assert.is(p.pending, 0);
});

test('a template cut into data packets, the last one marked end of data', () => {
  const data = Buffer.alloc(512, 7);
  const pk = dataPackets(0xffffffff, data, 128);
  assert.is(pk.length, 4);
  const p = new PacketParser();
  const out = p.push(Buffer.concat(pk)).map((o) => ('packet' in o ? o.packet.pid : -1));
  assert.equal(out, [PID.data, PID.data, PID.data, PID.end]);
});

test('an impossible length is skipped; the next packet is found', () => {
  const p = new PacketParser();
  const junk = Buffer.from('ef01ffffffff01ffff', 'hex');
  const out = p.push(Buffer.concat([junk, GEN_IMG]));
  assert.ok(out.some((o) => 'packet' in o));
  assert.ok(out.some((o) => 'error' in o && o.error.code === 'bad_frame'));
});

test.run();
