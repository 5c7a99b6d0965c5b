import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { charWidth, fitLines, textWidth, wrapLine } from './fit.ts';

test('Chinese and full-width characters take two columns, ASCII and accented Latin one', () => {
  assert.is(textWidth('Gate 3'), 6);
  assert.is(textWidth('欢迎光临'), 8);
  assert.is(textWidth('请通行！'), 8);
  assert.is(textWidth('成人票×2'), 9);
  assert.is(textWidth('Zoë, Lǚ'), 7);
  assert.is(charWidth('“'), 2, 'GB2312 punctuation is double-byte, so double width');
  assert.is(charWidth('\u0301'), 0, 'a combining mark adds nothing');
  assert.is(charWidth('ｱ'), 1, 'half-width katakana');
});

test('Latin text wraps between words, Chinese anywhere, never splitting a wide character', () => {
  assert.equal(wrapLine('Valid until 18:00 today', 16), ['Valid until', '18:00 today']);
  assert.equal(wrapLine('欢迎光临九寨沟风景区', 16), ['欢迎光临九寨沟风', '景区']);
  assert.equal(wrapLine('A欢迎光临九寨沟风景区', 16), ['A欢迎光临九寨沟', '风景区']);
  assert.equal(wrapLine('Supercalifragilistic', 8), ['Supercal', 'ifragili', 'stic']);
  assert.equal(wrapLine('exactly 16 chars exactly', 16), ['exactly 16 chars', 'exactly']);
  assert.equal(wrapLine('  centred text here', 10), ['  centred', 'text here']);
  assert.equal(wrapLine('', 16), ['']);
});

test('each line keeps a row; spare rows let earlier lines wrap; the rest is cut', () => {
  assert.equal(fitLines(['检票成功 Welcome', 'Adult ticket, 2 persons, valid until 18:00'], 4, 16), [
    '检票成功 Welcome',
    'Adult ticket, 2',
    'persons, valid',
    'until 18:00',
  ]);
  // The caller laid out more lines than rows: the first ones show, each cut to one row.
  assert.equal(fitLines(['Ticket expired on 2026-05-01', 'Please see staff', 'Line 3'], 2, 16), ['Ticket expired', 'Please see staff']);
  assert.equal(fitLines(['A long first line that wraps', 'second'], 3, 10), ['A long', 'first line', 'second']);
  assert.equal(fitLines([], 4, 20), []);
});

test('newlines split lines, tabs become spaces, control characters are dropped', () => {
  assert.equal(fitLines(['Gate\r\nclosed', 'a\tb\x1b[2Jc\x07'], 4, 20), ['Gate', 'closed', 'a b[2Jc']);
});

test.run();
