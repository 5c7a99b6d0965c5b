import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { controlChar, findControlChar, text } from './control.ts';

test('free text keeps tab, line feed and carriage return; everything else below U+0020 is refused', () => {
  assert.is(controlChar('第一行\n第二行\t备注\r\n'), undefined);
  for (let c = 0; c < 0x20; c++) {
    const expected = c === 9 || c === 10 || c === 13 ? undefined : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    assert.is(controlChar(`a${String.fromCharCode(c)}b`), expected, `U+${c.toString(16)}`);
  }
  assert.is(controlChar('a\u007fb'), 'U+007F');
  assert.is(controlChar('a\u0085b'), 'U+0085'); // C1 next line
  assert.is(controlChar('a\ud800b'), 'U+D800'); // lone surrogate
  assert.is(controlChar('𠮷野家 ¥12 ￥12 é'), undefined); // a surrogate pair is one character
});

test('one-line values refuse tab and line breaks too', () => {
  assert.is(controlChar('a\tb', { multiline: false }), 'U+0009');
  assert.is(controlChar('a\nb', { multiline: false }), 'U+000A');
  assert.is(controlChar('成人票', { multiline: false }), undefined);
});

test('findControlChar names the path of the first string or key that holds one', () => {
  assert.is(findControlChar({ a: 1, b: [true, null, 'ok'] }), undefined);
  assert.equal(findControlChar({ lines: [{ type: 'adult' }, { type: 'a\u0000' }] }), { path: 'lines.1.type', char: 'U+0000' });
  assert.equal(findControlChar({ counted: { 'ca\u0000sh': 1 } }), { path: 'counted.ca\u0000sh', char: 'U+0000' });
  assert.equal(findControlChar({ note: 'a\nb', key: 'x\ny' }), undefined); // values may span lines
  assert.equal(findControlChar('\u001b[2J'), { path: '', char: 'U+001B' });
});

test('text() refuses control characters with a message zod reports at the field', () => {
  const s = text({ min: 1, max: 8 });
  assert.is(s.safeParse('成人票').success, true);
  const r = s.safeParse('成人\u0000');
  assert.is(r.success, false);
  assert.match(r.error!.issues[0]!.message, /control characters/);
  assert.is(s.safeParse('a\nb').success, false);
  assert.is(text({ max: 8, multiline: true }).safeParse('a\nb').success, true);
  assert.is(s.safeParse('123456789').success, false);
});

test.run();
