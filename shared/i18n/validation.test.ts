import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { fieldLabel } from './fields.ts';
import { issueMessage, type Issue } from './validation.ts';

const order = z.object({
  lines: z.array(z.object({ type: z.string().regex(/^[a-z]+$/), quantity: z.number().int().min(1).max(500) }).strict()).min(1),
  payments: z.array(z.discriminatedUnion('method', [
    z.object({ method: z.literal('cash'), amountFen: z.number().int().min(1), tenderedFen: z.number().int() }),
    z.object({ method: z.literal('card'), amountFen: z.number().int().min(1) }),
  ])),
  note: z.string().max(5).optional(),
  visitDay: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day YYYY-MM-DD').optional(),
}).strict();

function messages(input: unknown, locale: 'zh-CN' | 'en') {
  const r = order.safeParse(input, { reportInput: true });
  assert.not.ok(r.success);
  return r.error!.issues.map((i) => issueMessage(i as unknown as Issue, locale));
}

test('each problem names its field as the screen does, in Chinese', () => {
  assert.equal(messages({ lines: [{ type: 'adult', quantity: 0 }], payments: [] }, 'zh-CN'), ['购票明细第 1 项的数量不能小于 1']);
  assert.equal(messages({ lines: [], payments: [{ method: 'cash', amountFen: 0 }] }, 'zh-CN'),
    ['购票明细至少 1 项', '支付第 1 项的金额不能小于 ¥0.01', '请填写支付第 1 项的实收金额']);
  assert.equal(messages({ lines: [{ type: 'A', quantity: 1, x: 1 }], payments: [{ method: 'wechat' }], note: 'too long', visitDay: '1 May' }, 'zh-CN'), [
    '购票明细第 1 项的票种格式不正确',
    '购票明细第 1 项中有不认识的字段：x',
    '支付第 1 项的支付方式不正确',
    '备注最多 5 个字符',
    '游玩日期须为日期 YYYY-MM-DD',
  ]);
  assert.equal(messages({ payments: 'none' }, 'zh-CN'), ['请填写购票明细', '支付应为列表']);
});

test('and in English', () => {
  assert.equal(messages({ lines: [{ type: 'adult', quantity: 0 }], payments: [] }, 'en'), ['lines #1: quantity must be at least 1']);
  assert.equal(messages({ payments: [], visitDay: 'x' }, 'en'), ['lines is required', 'visit day: a day YYYY-MM-DD']);
});

test('field labels', () => {
  assert.is(fieldLabel(['counted', 'cash'], 'zh-CN'), '清点金额的现金');
  assert.is(fieldLabel([], 'zh-CN'), '请求内容');
  assert.is(fieldLabel(['somethingNew'], 'en'), 'somethingNew');
});

test.run();
