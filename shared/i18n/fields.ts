import type { Locale } from './locale.ts';

/**
 * Labels of request fields, for validation messages that name the field the way the screen
 * does ("数量不能小于 1"). Keyed by the field's own name (the last key of its path); a name
 * that is not here is shown as it is. The browser app can use the same labels on its forms.
 */
export const FIELD_LABELS: Record<string, { zh: string; en: string }> = {
  // people and sessions
  username: { zh: '用户名', en: 'username' },
  password: { zh: '密码', en: 'password' },
  displayName: { zh: '姓名', en: 'name' },
  roles: { zh: '角色', en: 'roles' },
  permissions: { zh: '权限', en: 'permissions' },
  active: { zh: '启用', en: 'active' },
  // catalog
  code: { zh: '编码', en: 'code' },
  name: { zh: '名称', en: 'name' },
  type: { zh: '票种', en: 'ticket type' },
  types: { zh: '票种', en: 'ticket types' },
  priceFen: { zh: '价格', en: 'price' },
  validityDays: { zh: '有效天数', en: 'validity days' },
  entries: { zh: '入园次数', en: 'entries' },
  persons: { zh: '人数', en: 'persons' },
  medium: { zh: '介质', en: 'medium' },
  saleMethods: { zh: '出票方式', en: 'sale methods' },
  category: { zh: '类别', en: 'category' },
  dailyCapacity: { zh: '每日限额', en: 'daily capacity' },
  capacity: { zh: '限额', en: 'capacity' },
  kind: { zh: '类型', en: 'kind' },
  value: { zh: '数值', en: 'value' },
  customerCategory: { zh: '客户类别', en: 'customer category' },
  fromDay: { zh: '开始日期', en: 'from day' },
  toDay: { zh: '结束日期', en: 'to day' },
  weekdays: { zh: '星期', en: 'weekdays' },
  holidaysOnly: { zh: '仅节假日', en: 'holidays only' },
  priority: { zh: '优先级', en: 'priority' },
  discounts: { zh: '折扣', en: 'discounts' },
  // orders
  site: { zh: '景区', en: 'site' },
  visitDay: { zh: '游玩日期', en: 'visit day' },
  account: { zh: '客户账户', en: 'customer account' },
  lines: { zh: '购票明细', en: 'lines' },
  quantity: { zh: '数量', en: 'quantity' },
  discount: { zh: '折扣', en: 'discount' },
  group: { zh: '团体出票方式', en: 'group mode' },
  barcodes: { zh: '条码', en: 'barcodes' },
  cards: { zh: 'IC 卡号', en: 'card UIDs' },
  idcards: { zh: '身份证号', en: 'ID card numbers' },
  reserve: { zh: '预留', en: 'reserve' },
  note: { zh: '备注', en: 'note' },
  payments: { zh: '支付', en: 'payments' },
  method: { zh: '支付方式', en: 'payment method' },
  amountFen: { zh: '金额', en: 'amount' },
  tenderedFen: { zh: '实收金额', en: 'amount tendered' },
  reference: { zh: '凭证号', en: 'reference' },
  authCode: { zh: '付款码', en: 'payment code' },
  signer: { zh: '签单人', en: 'signer' },
  // after the sale
  reason: { zh: '原因', en: 'reason' },
  tickets: { zh: '票', en: 'tickets' },
  ticket: { zh: '票', en: 'ticket' },
  days: { zh: '天数', en: 'days' },
  card: { zh: 'IC 卡号', en: 'card UID' },
  idcard: { zh: '身份证号', en: 'ID card number' },
  barcode: { zh: '条码', en: 'barcode' },
  // shifts
  floatFen: { zh: '备用金', en: 'float' },
  counted: { zh: '清点金额', en: 'counted amounts' },
  cash: { zh: '现金', en: 'cash' },
  mobile: { zh: '移动支付', en: 'mobile' },
  voucher: { zh: '代金券', en: 'voucher' },
  points: { zh: '积分', en: 'points' },
  deposit: { zh: '预存款', en: 'deposit' },
  on_account: { zh: '挂账', en: 'on account' },
  signed_bill: { zh: '签单', en: 'signed bill' },
  // accounts, vouchers, stock
  creditLimitFen: { zh: '信用额度', en: 'credit limit' },
  ledger: { zh: '账簿', en: 'ledger' },
  amount: { zh: '金额', en: 'amount' },
  valueFen: { zh: '面值', en: 'face value' },
  expiresAt: { zh: '到期时间', en: 'expires at' },
  prefix: { zh: '票号前缀', en: 'prefix' },
  firstNumber: { zh: '起始号', en: 'first number' },
  count: { zh: '数量', en: 'count' },
  serials: { zh: '票号', en: 'serials' },
  to: { zh: '截止', en: 'to' },
  from: { zh: '起始', en: 'from' },
  // customers, members, bookings
  phone: { zh: '手机号', en: 'phone' },
  idNumber: { zh: '身份证号', en: 'ID number' },
  contact: { zh: '联系人', en: 'contact' },
  items: { zh: '项目', en: 'items' },
  externalRef: { zh: '外部单号', en: 'external reference' },
  paymentRef: { zh: '支付流水号', en: 'payment reference' },
  orderNo: { zh: '订单号', en: 'order number' },
  pickupId: { zh: '取票编号', en: 'pickup id' },
  cardNo: { zh: '卡号', en: 'card number' },
  cardUid: { zh: 'IC 卡号', en: 'card UID' },
  memberId: { zh: '会员', en: 'member' },
  contractNo: { zh: '合同号', en: 'contract number' },
  province: { zh: '省份', en: 'province' },
  city: { zh: '城市', en: 'city' },
  // devices and gates
  device: { zh: '设备', en: 'device' },
  role: { zh: '角色', en: 'role' },
  mode: { zh: '模式', en: 'mode' },
  lane: { zh: '通道', en: 'lane' },
  direction: { zh: '方向', en: 'direction' },
  at: { zh: '时间', en: 'time' },
  ttlSeconds: { zh: '有效秒数', en: 'time to live' },
  layout: { zh: '版式', en: 'layout' },
  baseVersion: { zh: '基础版本', en: 'base version' },
  version: { zh: '版本', en: 'version' },
  image: { zh: '图片', en: 'image' },
  source: { zh: '来源', en: 'source' },
  // lists
  limit: { zh: '每页条数', en: 'page size' },
  cursor: { zh: '翻页位置', en: 'cursor' },
  sort: { zh: '排序', en: 'sort' },
  status: { zh: '状态', en: 'status' },
  seller: { zh: '售票员', en: 'seller' },
  q: { zh: '关键词', en: 'search text' },
  lang: { zh: '语言', en: 'language' },
  format: { zh: '格式', en: 'format' },
};

/** "lines.0.quantity" -> "购票明细第 1 项的数量" (zh) / "lines #1: quantity" (en). */
export function fieldLabel(path: readonly PropertyKey[], locale: Locale): string {
  const l = locale === 'en' ? 'en' : 'zh';
  const name = (k: PropertyKey) => FIELD_LABELS[String(k)]?.[l] ?? String(k);
  const parts: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const k = path[i]!;
    if (typeof k === 'number') continue;
    const next = path[i + 1];
    if (typeof next === 'number') {
      parts.push(l === 'zh' ? `${name(k)}第 ${next + 1} 项` : `${name(k)} #${next + 1}`);
    } else {
      parts.push(name(k));
    }
  }
  if (parts.length === 0) return l === 'zh' ? '请求内容' : 'request';
  return l === 'zh' ? parts.join('的') : parts.join(': ');
}
