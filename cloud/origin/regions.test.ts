import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Regions } from './regions.ts';

const r = Regions.load();

test('ID number regions: province and city', () => {
  assert.equal(r.byCode('330106'), { provinceCode: '33', province: '浙江省', cityCode: '3301', city: '杭州市' });
  assert.equal(r.byCode('110105'), { provinceCode: '11', province: '北京市', cityCode: '11', city: '北京市' });
  assert.equal(r.byCode('440305'), { provinceCode: '44', province: '广东省', cityCode: '4403', city: '深圳市' });
  assert.equal(r.byCode('419001'), { provinceCode: '41', province: '河南省', cityCode: '419001', city: '济源市' });
  assert.equal(r.byCode('810000')?.province, '香港特别行政区');
  // A retired city code: the province is still known.
  assert.equal(r.byCode('342101'), { provinceCode: '34', province: '安徽省', cityCode: null, city: null });
  assert.is(r.byCode('990101'), undefined);
  assert.is(r.byCode('33010'), undefined);
});

test('what a seller typed', () => {
  assert.equal(r.byName('浙江', '杭州'), { provinceCode: '33', province: '浙江省', cityCode: '3301', city: '杭州市' });
  assert.equal(r.byName('浙江省', '杭州市')?.cityCode, '3301');
  assert.equal(r.byName('内蒙古')?.province, '内蒙古自治区');
  assert.equal(r.byName('上海')?.city, '上海市');
  assert.equal(r.byName('33', '3302')?.city, '宁波市');
  assert.is(r.byName('浙江', '南京'), undefined, 'Nanjing is not in Zhejiang');
  assert.is(r.byName('火星'), undefined);
  assert.is(r.byName('浙'), undefined, 'one character is too little');
});

test.run();
