import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addFen, fen, formatYuan, parseYuan, timesFen } from './money.ts';

test('parses yuan text into exact fen', () => {
  assert.is(parseYuan('12'), 1200);
  assert.is(parseYuan('12.5'), 1250);
  assert.is(parseYuan('0.01'), 1);
  assert.is(parseYuan('-3.10'), -310);
  // 0.1 + 0.2 style drift must not exist: 19.99 * 100 in floats is 1998.9999999999998.
  assert.is(parseYuan('19.99'), 1999);
});

test('refuses what is not an amount', () => {
  for (const bad of ['', 'abc', '1.234', '1e3', '¥5', '1,000']) {
    assert.throws(() => parseYuan(bad), /not an amount/, bad);
  }
  assert.throws(() => fen(1.5), /not an integer/);
  assert.throws(() => fen(Number.MAX_SAFE_INTEGER + 2), /not an integer/);
});

test('formats fen as yuan', () => {
  assert.is(formatYuan(fen(1250)), '12.50');
  assert.is(formatYuan(fen(5)), '0.05');
  assert.is(formatYuan(fen(-310)), '-3.10');
});

test('arithmetic stays in integers', () => {
  assert.is(addFen(fen(1999), fen(1)), 2000);
  assert.is(timesFen(fen(1999), 3), 5997);
  assert.throws(() => timesFen(fen(100), 0.5), /not an integer quantity/);
});

test.run();
