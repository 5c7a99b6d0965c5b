import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { ACK, encodeFrame, ERROR_FRAME, NACK } from './pn532-frame.ts';
import { CMD, Pn532Host } from './pn532.ts';

const h = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const FW_REPLY = h('00 00 ff 06 fa d5 03 32 01 06 07 e8 00');

function host() {
  const timers = new FakeTimers();
  const written: Buffer[] = [];
  const errors: DeviceError[] = [];
  const pn = new Pn532Host({
    write: async (b) => void written.push(Buffer.from(b)), timers, ackTimeoutMs: 100, responseTimeoutMs: 1000, onError: (e) => errors.push(e),
  });
  return { pn, timers, written, errors };
}

const tick = () => new Promise((r) => setImmediate(r));
const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: v }), (e: DeviceError) => ({ err: e.code }));

test('ACK and response merged in one read, or split byte by byte', async () => {
  for (const split of [false, true]) {
    const { pn, written, errors } = host();
    const result = pn.command(CMD.getFirmwareVersion);
    await tick();
    assert.equal(written, [h('00 00 ff 02 fe d4 02 2a 00')]);
    const stream = Buffer.concat([ACK, FW_REPLY]);
    if (split) for (const b of stream) pn.receive(Buffer.from([b]));
    else pn.receive(stream);
    assert.equal(await result, h('32 01 06 07'));
    assert.equal(errors, []);
  }
});

test('noise around the frames is reported; the command still completes', async () => {
  const { pn, errors } = host();
  const result = pn.command(CMD.getFirmwareVersion);
  await tick();
  pn.receive(Buffer.concat([h('ff 13'), ACK, h('42 42'), FW_REPLY]));
  assert.equal(await result, h('32 01 06 07'));
  assert.ok(errors.length >= 1 && errors.every((e) => e.code === 'bad_frame'));
});

test('a response with a bad checksum is NACKed and the resent one accepted', async () => {
  const { pn, written, errors } = host();
  const result = pn.command(CMD.getFirmwareVersion);
  await tick();
  const bad = Buffer.from(FW_REPLY);
  bad[7] = 0x33; // a bit flipped in the data
  pn.receive(Buffer.concat([ACK, bad]));
  await tick();
  assert.equal(written.at(-1), NACK);
  pn.receive(FW_REPLY);
  assert.equal(await result, h('32 01 06 07'));
  assert.is(errors[0]!.code, 'bad_checksum');
});

test('no ACK, or an ACK and no answer, times out; the next command works', async () => {
  const { pn, timers } = host();
  const first = settle(pn.command(CMD.getFirmwareVersion));
  await tick();
  pn.receive(h('00 00 ff 06')); // half a frame, then silence
  timers.advance(100);
  assert.equal(await first, { err: 'timeout' });
  const second = settle(pn.command(CMD.getFirmwareVersion));
  await tick();
  pn.receive(ACK);
  timers.advance(999);
  pn.receive(FW_REPLY.subarray(0, 4));
  timers.advance(1);
  assert.equal(await second, { err: 'timeout' });
  const third = pn.command(CMD.getFirmwareVersion);
  await tick();
  pn.receive(Buffer.concat([ACK, FW_REPLY]));
  assert.equal(await third, h('32 01 06 07'));
  assert.is(timers.pendingCount, 0);
});

test('a frame for another command is reported, not taken as the answer', async () => {
  const { pn, errors } = host();
  const result = pn.command(CMD.getFirmwareVersion);
  await tick();
  pn.receive(Buffer.concat([ACK, encodeFrame(0xd5, h('15'))]));
  pn.receive(FW_REPLY);
  assert.equal(await result, h('32 01 06 07'));
  assert.is(errors[0]!.code, 'bad_frame');
});

test('the PN532 error frame rejects the command with device_status', async () => {
  const { pn } = host();
  const result = settle(pn.command(0x99));
  await tick();
  pn.receive(Buffer.concat([ACK, ERROR_FRAME]));
  assert.equal(await result, { err: 'device_status' });
});

test('commands are sent one at a time; close() fails the one in flight', async () => {
  const { pn, written } = host();
  const a = settle(pn.command(CMD.getFirmwareVersion));
  const b = settle(pn.command(CMD.samConfiguration, [1, 0x14, 1]));
  await tick();
  assert.is(written.length, 1);
  pn.receive(Buffer.concat([ACK, FW_REPLY]));
  await tick();
  await tick();
  assert.is(written.length, 2);
  pn.close();
  assert.equal(await a, { ok: h('32 01 06 07') });
  assert.equal(await b, { err: 'serial_unavailable' });
  assert.equal(await settle(pn.command(CMD.getFirmwareVersion)), { err: 'serial_unavailable' });
});

test.run();
