import { formatYuan } from '../money/money.ts';
import type { Locale } from './locale.ts';

/**
 * What every error code of the HTTP API says to people, in Chinese and English. The server
 * answers with these (by the request's language) and the browser app can show them itself;
 * `code` stays the stable key for programs. A message may use the error's details (the
 * `details` of the answer, the context the server attached); each detail is optional, so a
 * message reads well without it.
 */
export type ErrorParams = Record<string, unknown>;
type Text = (p: ErrorParams) => string;
export interface ErrorMessage { zh: Text; en: Text }

const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const has = (v: unknown) => v !== undefined && v !== null && v !== '';
const yuan = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? `¥${formatYuan(v as never)}` : s(v));
/** " (x)" / "：x" when x is there, nothing otherwise. */
const paren = (v: unknown) => (has(v) ? ` (${s(v)})` : '');
const colon = (v: unknown) => (has(v) ? `：${s(v)}` : '');
const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : s(v));
const line = (p: ErrorParams) => (typeof p.line === 'number' ? `第 ${p.line + 1} 行：` : '');
const lineEn = (p: ErrorParams) => (typeof p.line === 'number' ? `line ${p.line + 1}: ` : '');

/** Names of things in `not_found` / `duplicate` answers (the `what` detail). */
export const THING_NAMES: Record<string, { zh: string; en: string }> = {
  booking: { zh: '订单', en: 'booking' },
  channel: { zh: '渠道', en: 'channel' },
  command: { zh: '指令', en: 'command' },
  'customer account': { zh: '客户账户', en: 'customer account' },
  customer: { zh: '客户', en: 'customer' },
  discount: { zh: '折扣', en: 'discount' },
  'face of ticket': { zh: '票的人脸', en: 'face of the ticket' },
  guide: { zh: '导游', en: 'guide' },
  'member card': { zh: '会员卡', en: 'member card' },
  member: { zh: '会员', en: 'member' },
  order: { zh: '订单', en: 'order' },
  payment: { zh: '支付', en: 'payment' },
  'price rule': { zh: '价格规则', en: 'price rule' },
  sale: { zh: '销售记录', en: 'sale' },
  venue: { zh: '园区', en: 'venue' },
  notice: { zh: '渠道通知', en: 'channel notice' },
  'venue capacity': { zh: '园区承载量设置', en: 'venue capacity' },
  shift: { zh: '班次', en: 'shift' },
  'stock batch': { zh: '票库批次', en: 'stock batch' },
  'stock item': { zh: '票库票号', en: 'stock item' },
  stock: { zh: '票库票号', en: 'stock' },
  'template version': { zh: '模板版本', en: 'template version' },
  template: { zh: '票面模板', en: 'template' },
  'ticket type': { zh: '票种', en: 'ticket type' },
  ticket: { zh: '票', en: 'ticket' },
  user: { zh: '用户', en: 'user' },
  voucher: { zh: '代金券', en: 'voucher' },
  endpoint: { zh: '接口', en: 'endpoint' },
};
const thing = (p: ErrorParams, l: 'zh' | 'en') => THING_NAMES[s(p.what)]?.[l] ?? (l === 'zh' ? '记录' : s(p.what) || 'record');

const METHOD_ZH: Record<string, string> = {
  cash: '现金', card: '银行卡', mobile: '移动支付', voucher: '代金券', points: '积分', deposit: '预存款', on_account: '挂账', signed_bill: '签单', channel: '渠道代收',
};
const LEDGER_ZH: Record<string, string> = { deposit: '预存款', points: '积分', credit: '挂账' };
const STATE_ZH: Record<string, string> = {
  reserved: '已预留', pending: '待支付', issued: '已出票', cancelled: '已取消', booked: '已预订', picked_up: '已取票', expired: '已过期',
  refunded: '已退票', lost: '已挂失', reissued: '已补票', made: '已制作', in_store: '在库', sold: '已售出', voided: '已作废', returned: '已退回',
};
const zhState = (v: unknown) => STATE_ZH[s(v)] ?? s(v);

export const ERROR_MESSAGES = {
  // Requests and sessions
  invalid_request: { zh: () => '请求内容有误', en: () => 'Invalid request' },
  invalid_json: { zh: () => '请求内容不是有效的 JSON', en: () => 'The request body is not valid JSON' },
  invalid_cursor: { zh: () => '翻页参数无效，请从第一页重新查询', en: () => 'Invalid page cursor: start again from the first page' },
  invalid_idempotency_key: { zh: () => '幂等键 (Idempotency-Key) 须为 1 至 128 个可打印字符', en: () => 'Idempotency-Key must be 1 to 128 printable characters' },
  idempotency_key_required: { zh: () => '写操作须带幂等键 (Idempotency-Key)', en: () => 'Every write needs an Idempotency-Key header' },
  idempotency_conflict: { zh: () => '此幂等键已用于另一个请求', en: () => 'This Idempotency-Key was already used for a different request' },
  idempotency_in_progress: { zh: () => '同一幂等键的请求正在处理', en: () => 'A request with this Idempotency-Key is being carried out' },
  idempotency_in_doubt: { zh: () => '该请求已执行，但结果未能保存，请查询结果', en: () => 'The request was carried out but its answer was lost: look the result up' },
  unauthenticated: { zh: () => '请先登录', en: () => 'Please log in first' },
  invalid_token: { zh: () => '登录已失效，请重新登录', en: () => 'Your session has expired, please log in again' },
  invalid_credentials: { zh: () => '用户名或密码错误', en: () => 'Wrong username or password' },
  forbidden: { zh: () => '无权操作', en: () => 'You may not do this' },
  not_found: {
    zh: (p) => `${thing(p, 'zh')}不存在${colon(p.id)}`,
    en: (p) => `No such ${thing(p, 'en')}${has(p.id) ? `: ${s(p.id)}` : ''}`,
  },
  duplicate: {
    zh: (p) => `已存在${colon(p.username ?? p.type ?? p.channel ?? p.customer ?? p.template ?? p.code)}`,
    en: (p) => `Already exists${has(p.username ?? p.type ?? p.channel ?? p.customer ?? p.template ?? p.code) ? `: ${s(p.username ?? p.type ?? p.channel ?? p.customer ?? p.template ?? p.code)}` : ''}`,
  },
  too_large: { zh: () => '上传的内容过大', en: () => 'The upload is too large' },
  payload_too_large: { zh: (p) => `请求内容过大${has(p.maxSize) ? `（最多 ${s(p.maxSize)} 字节）` : ''}`, en: (p) => `The request body is too large${has(p.maxSize) ? ` (at most ${s(p.maxSize)} bytes)` : ''}` },
  account_locked: { zh: (p) => `密码错误次数过多，账户已锁定${has(p.retryAfterSeconds) ? `，请 ${s(p.retryAfterSeconds)} 秒后再试` : ''}或联系管理员解锁`, en: (p) => `Too many wrong passwords: the account is locked${has(p.retryAfterSeconds) ? `; try again in ${s(p.retryAfterSeconds)} s` : ''} or ask an administrator to unlock it` },
  too_many_attempts: { zh: (p) => `此地址登录失败次数过多${has(p.retryAfterSeconds) ? `，请 ${s(p.retryAfterSeconds)} 秒后再试` : '，请稍后再试'}`, en: (p) => `Too many failed logins from this address${has(p.retryAfterSeconds) ? `; try again in ${s(p.retryAfterSeconds)} s` : '; try later'}` },
  unsupported_media_type: { zh: () => '不支持的内容类型，请上传 JPEG、PNG、WebP 图片或 JSON', en: () => 'Unsupported content type: send a JPEG, PNG or WebP image, or JSON' },
  http_error: { zh: () => '请求无法处理', en: () => 'The request could not be handled' },
  internal: { zh: () => '服务器内部错误，请稍后再试', en: () => 'Internal error, please try again later' },
  database_unavailable: { zh: () => '数据库暂不可用，请稍后重试', en: () => 'The database is unavailable, please retry' },
  invalid_day: { zh: (p) => `日期无效${colon(p.day)}，格式为 YYYY-MM-DD`, en: (p) => `Not a valid day${has(p.day) ? `: ${s(p.day)}` : ''} (YYYY-MM-DD)` },
  invalid_date: { zh: () => '日期无效，格式为 YYYY-MM-DD', en: () => 'Not a valid day (YYYY-MM-DD)' },
  invalid_range: { zh: (p) => `开始日期${has(p.from) ? ` ${s(p.from)} ` : ''}晚于结束日期${has(p.to) ? ` ${s(p.to)}` : ''}`, en: (p) => `The start day${paren(p.from)} is after the end day${paren(p.to)}` },
  range_too_long: { zh: (p) => `查询范围过长${has(p.max) ? `，最多 ${s(p.max)} 天` : ''}`, en: (p) => `The range is too long${has(p.max) ? `: at most ${s(p.max)} days` : ''}` },
  invalid_format: { zh: () => '导出格式不一致', en: () => 'Conflicting export formats' },
  invalid_phone: { zh: () => '手机号无效', en: () => 'Not a valid mobile number' },
  invalid_id_number: { zh: () => '身份证号无效', en: () => 'Not a valid ID card number' },
  invalid_card_uid: { zh: () => '卡号无效（8 至 20 位十六进制）', en: () => 'A card UID is 8 to 20 hex digits' },
  invalid_barcode: { zh: () => '条码无效（4 至 40 位字母、数字或 -）', en: () => 'A barcode is 4 to 40 letters, digits or -' },
  unknown_region: { zh: () => '未知的省市或行政区划代码', en: () => 'Unknown province, city or region code' },
  unknown_report: { zh: (p) => `没有这张报表${colon(p.report)}`, en: (p) => `No such report${has(p.report) ? `: ${s(p.report)}` : ''}` },

  // Catalog, prices, capacity
  unknown_type: { zh: (p) => `票种不存在${colon(list(p.types ?? p.type))}`, en: (p) => `Unknown ticket type${has(p.types ?? p.type) ? `: ${list(p.types ?? p.type)}` : ''}` },
  duplicate_type: { zh: () => '每个票种只能出现一次', en: () => 'Each ticket type at most once' },
  type_inactive: { zh: (p) => `${line(p)}该票种已停售`, en: (p) => `${lineEn(p)}this ticket type is not on sale` },
  type_not_granted: { zh: (p) => `${line(p)}无权销售该票种${paren(p.type)}`, en: (p) => `${lineEn(p)}you may not sell this ticket type${paren(p.type)}` },
  type_not_sold: { zh: () => '自助机不售此票种', en: () => 'This ticket type is not sold at kiosks' },
  type_not_offered: { zh: () => '本渠道不售此票种', en: () => 'This ticket type is not sold through this channel' },
  discount_not_granted: { zh: (p) => `${line(p)}无权使用该折扣${paren(p.discount)}`, en: (p) => `${lineEn(p)}you may not give this discount${paren(p.discount)}` },
  discount_not_applicable: { zh: (p) => `${line(p)}该折扣不适用于此客户`, en: (p) => `${lineEn(p)}this discount is not for this customer` },
  sale_method_not_allowed: { zh: (p) => `${line(p)}该票种不能以此方式出票`, en: (p) => `${lineEn(p)}this ticket type is not issued this way` },
  sold_out: {
    zh: (p) => `余票不足${has(p.day) ? `（${s(p.day)}）` : ''}${has(p.left) ? `，剩 ${s(p.left)} 张` : ''}`,
    en: (p) => `Not enough tickets left${has(p.day) ? ` for ${s(p.day)}` : ''}${has(p.left) ? `: ${s(p.left)} left` : ''}`,
  },
  quota_exceeded: { zh: (p) => `渠道余票不足${paren(p.day)}`, en: (p) => `The channel's quota is used up${paren(p.day)}` },
  // Time slots (分时预约)
  slot_required: { zh: (p) => `${has(p.day) ? `${s(p.day)} ` : ''}实行分时预约，请选择入园时段`, en: (p) => `${has(p.day) ? `${s(p.day)} is` : 'This day is'} sold by time slot: choose one` },
  slot_full: { zh: (p) => `${has(p.day) ? `${s(p.day)} ` : ''}${has(p.from) ? `${s(p.from)}-${s(p.to)} ` : ''}时段已约满，请选择其他时段`, en: (p) => `The ${has(p.from) ? `${s(p.from)}-${s(p.to)} ` : ''}time slot${has(p.day) ? ` on ${s(p.day)}` : ''} is full: choose another` },
  slot_unknown: { zh: (p) => `${has(p.day) ? `${s(p.day)} ` : ''}没有${has(p.from) ? ` ${s(p.from)} 开始的` : '此'}时段`, en: (p) => `No time slot${has(p.from) ? ` at ${s(p.from)}` : ''}${has(p.day) ? ` on ${s(p.day)}` : ''}` },
  invalid_slot_pattern: { zh: (p) => `时段设置无效：结束时间${has(p.end) ? ` ${s(p.end)} ` : ''}须晚于开始时间${has(p.start) ? ` ${s(p.start)}` : ''}`, en: (p) => `Invalid slot pattern: the end${paren(p.end)} must be after the start${paren(p.start)}` },
  price_changed: { zh: (p) => `票价已变更${has(p.amountFen) ? `，现为 ${yuan(p.amountFen)}` : ''}`, en: (p) => `The price has changed${has(p.amountFen) ? `: now ${yuan(p.amountFen)}` : ''}` },
  visit_day_past: { zh: () => '游玩日期已过', en: () => 'The visit day has passed' },
  visit_day_too_far: { zh: () => '游玩日期太远，不能提前这么久售票', en: () => 'The visit day is too far ahead' },
  day_past: { zh: () => '游玩日期已过', en: () => 'The visit day has passed' },
  day_too_far: { zh: () => '超出可预订的天数', en: () => 'Bookings do not open that far ahead' },
  wrong_type_kind: { zh: (p) => `票种类别不符${paren(p.type)}`, en: (p) => `Wrong kind of ticket type${paren(p.type)}` },

  // Orders and payments
  no_open_shift: { zh: () => '请先开班', en: () => 'Open a shift first' },
  payment_mismatch: {
    zh: (p) => (has(p.paidFen) && has(p.totalFen) ? `支付合计 ${yuan(p.paidFen)}，与应收 ${yuan(p.totalFen)} 不符` : '支付金额与应收不符'),
    en: (p) => (has(p.paidFen) && has(p.totalFen) ? `Payments add up to ${yuan(p.paidFen)}, the order is ${yuan(p.totalFen)}` : 'Payments do not add up to the total'),
  },
  free_needs_reason: { zh: () => '免费票须填写原因', en: () => 'A free sale needs a reason' },
  payment_failed: { zh: () => '支付失败，未扣款', en: () => 'Payment failed; nothing was charged' },
  paid_not_issued: { zh: () => '已扣款但出票失败，请联系工作人员退款', en: () => 'Paid, but the tickets could not be issued; staff will refund' },
  amount_mismatch: { zh: () => '付款金额与订单金额不符', en: () => 'The amount does not match the booking total' },
  account_required: { zh: () => '此支付方式须选择客户账户', en: () => 'This payment method needs a customer account' },
  account_inactive: { zh: () => '客户账户已停用', en: () => 'The customer account is closed' },
  credit_limit: {
    zh: (p) => `超出信用额度${has(p.limit) ? `：额度 ${yuan(p.limit)}，已用 ${yuan(p.used)}，本次 ${yuan(p.asked)}` : ''}`,
    en: (p) => `Over the credit limit${has(p.limit) ? `: limit ${yuan(p.limit)}, used ${yuan(p.used)}, asked ${yuan(p.asked)}` : ''}`,
  },
  overpaid: { zh: () => '还款金额超过欠款', en: () => 'The repayment is more than is owed' },
  insufficient_balance: {
    zh: (p) => `${LEDGER_ZH[s(p.ledger)] ?? ''}余额不足${has(p.balance) ? `，余额 ${p.ledger === 'points' ? s(p.balance) : yuan(p.balance)}` : ''}`,
    en: (p) => `Insufficient ${has(p.ledger) ? `${s(p.ledger)} ` : ''}balance${has(p.balance) ? `: ${s(p.balance)}` : ''}`,
  },
  voucher_used: { zh: () => '代金券已使用', en: () => 'The voucher was already used' },
  voucher_expired: { zh: () => '代金券已过期', en: () => 'The voucher has expired' },
  voucher_value: { zh: () => '支付金额超过代金券面值', en: () => 'The amount is more than the voucher is worth' },
  order_not_reserved: { zh: () => '订单不是预留状态', en: () => 'The order is not a reservation' },
  order_not_issued: { zh: () => '订单未出票，不能退款', en: () => 'The order is not issued' },
  stock_not_held: { zh: (p) => `票号不在你的库存中${colon(p.serial)}`, en: (p) => `This stock is not issued to you${has(p.serial) ? `: ${s(p.serial)}` : ''}` },
  stock_wrong_type: { zh: () => '票号属于其他票种', en: () => 'This stock is for another ticket type' },
  stock_state: { zh: () => '票号状态不允许此操作', en: () => 'The stock is not in a state that allows this' },
  not_a_seller: { zh: () => '该用户不是售票员', en: () => 'This user is not a window seller' },

  // After the sale
  refund_not_allowed: { zh: () => '无退款权限', en: () => 'You may not refund' },
  refund_exceeds_paid: {
    zh: (p) => `退款金额超过已付金额${has(p.paidFen) ? `（已付 ${yuan(p.paidFen)}）` : ''}`,
    en: (p) => `The refund is more than was paid${has(p.paidFen) ? ` (${yuan(p.paidFen)})` : ''}`,
  },
  refund_exceeds_method: {
    zh: (p) => `退款超过以${METHOD_ZH[s(p.method)] ?? '该方式'}支付的金额${has(p.paidFen) ? `（${yuan(p.paidFen)}）` : ''}`,
    en: (p) => `The refund is more than was paid by ${s(p.method) || 'this method'}${has(p.paidFen) ? ` (${yuan(p.paidFen)})` : ''}`,
  },
  refund_split_mismatch: {
    zh: (p) => `各方式退款合计${has(p.partsFen) ? ` ${yuan(p.partsFen)}` : ''}与退款金额${has(p.askedFen) ? ` ${yuan(p.askedFen)}` : ''}不符`,
    en: (p) => `The parts add up to ${has(p.partsFen) ? yuan(p.partsFen) : 'another amount'}, not ${has(p.askedFen) ? yuan(p.askedFen) : 'the refund'}`,
  },
  ticket_not_in_order: { zh: () => '票不属于此订单', en: () => 'A ticket is not in this order' },
  ticket_revoked: { zh: () => '票已作废', en: () => 'The ticket is void' },
  ticket_expired: { zh: () => '票已过期', en: () => 'The ticket has expired' },
  ticket_used_up: { zh: () => '票已用完', en: () => 'The ticket has no entries left' },
  reprint_reason_required: { zh: () => '重打须填写原因', en: () => 'A reprint needs a reason' },
  credential_in_use: { zh: () => '该卡或证件已绑定其他票', en: () => 'This card or ID is bound to another ticket' },

  // Shifts
  shift_open: { zh: () => '已有未交班的班次', en: () => 'A shift is still open' },
  audit_unanchored: { zh: () => '审计链尚无记录可签署，或本节点未启用锚点', en: () => 'Nothing to anchor: the audit chain is empty or this node does not anchor' },
  shift_closed: { zh: () => '班次已交班', en: () => 'The shift is already closed' },
  shift_has_pending: { zh: () => '本班次还有等待移动支付确认的订单', en: () => 'An order of this shift is still waiting for its mobile payment' },

  // Customers, guides, members
  guide_inactive: { zh: () => '导游已停用', en: () => 'The guide is inactive' },
  visit_recorded: { zh: () => '该团已登记', en: () => 'This visit is already recorded' },
  id_number_required: { zh: () => '绑定身份证须填身份证号', en: () => 'Binding the ID card needs the holder\'s ID number' },
  card_void: { zh: () => '卡已作废', en: () => 'The card is void' },
  stale_expiry: { zh: (p) => `卡的有效期已是 ${s(p.expiresOn) || '新的日期'}，可能已续期`, en: (p) => `The card now expires on ${s(p.expiresOn) || 'another day'}: renewed already?` },
  same_card_no: { zh: () => '新卡号须与原卡号不同', en: () => 'The new card needs another number' },

  // Channels and pickups
  invalid_channel_key: { zh: () => '渠道密钥无效', en: () => 'Invalid channel key' },
  channel_inactive: { zh: () => '渠道已停用', en: () => 'This channel is disabled' },
  already_picked_up: { zh: () => '已取票', en: () => 'The tickets were already picked up' },
  booking_cancelled: { zh: () => '订单已取消', en: () => 'The booking was cancelled' },
  booking_expired: { zh: () => '订单已超时', en: () => 'The booking has expired' },
  booking_issued: { zh: () => '订单已付款', en: () => 'The booking is already paid' },
  booking_picked_up: { zh: () => '订单已取票', en: () => 'The booking was already picked up' },
  not_paid: { zh: () => '订单未付款', en: () => 'The booking is not paid' },
  cancel_too_late: { zh: () => '已过取消截止时间', en: () => 'Cancellations are closed' },
  already_used: { zh: () => '门票已入园使用，不能取消', en: () => 'A ticket of this booking was already used' },
  pickup_id_reused: { zh: () => '取票编号已用于其他订单', en: () => 'This pickup id was used for another booking' },
  wrong_site: { zh: () => '不属于本景区', en: () => 'This belongs to another site' },
  wrong_device: { zh: () => '设备身份不符', en: () => 'Signed in as another device' },

  // Sites, venues, lanes and devices (records at HQ)
  unknown_site: { zh: (p) => `站点不存在${colon(p.id ?? p.site)}`, en: (p) => `Unknown site${has(p.id ?? p.site) ? `: ${s(p.id ?? p.site)}` : ''}` },
  unknown_venue: { zh: (p) => `园区不存在${colon(p.id)}`, en: (p) => `Unknown venue${has(p.id) ? `: ${s(p.id)}` : ''}` },
  unknown_lane: { zh: (p) => `通道不存在${colon(p.id)}`, en: (p) => `Unknown lane${has(p.id) ? `: ${s(p.id)}` : ''}` },
  unknown_device: {
    zh: (p) => `设备不存在${has(p.id) ? `：${has(p.site) ? `${s(p.site)}/` : ''}${s(p.id)}` : '或未登记'}`,
    en: (p) => (has(p.id) ? `Unknown device: ${has(p.site) ? `${s(p.site)}/` : ''}${s(p.id)}` : 'The device is not provisioned at HQ'),
  },
  site_exists: { zh: (p) => `站点已存在${colon(p.site)}`, en: (p) => `The site exists already${has(p.site) ? `: ${s(p.site)}` : ''}` },
  site_inactive: { zh: (p) => `站点已停用${colon(p.site)}`, en: (p) => `The site is switched off${has(p.site) ? `: ${s(p.site)}` : ''}` },
  device_inactive: { zh: () => '设备已停用', en: () => 'The device is switched off' },
  wrong_role: { zh: () => '设备登记的类型不符（闸机、自助机或站点服务器）', en: () => 'The device is provisioned in another role (gate, kiosk or hub)' },
  role_forbidden: { zh: () => '手持检票机只能下载检票数据、上传入园记录和查看同伴记录', en: () => 'A handheld may only pull its change log, upload entries and read its siblings\' entries' },
  gate_needs_lane: { zh: () => '闸机至少要有一个通道', en: () => 'A gate serves at least one lane' },
  lanes_for_gates: { zh: () => '只有闸机有通道', en: () => 'Only gates serve lanes' },
  no_alarm: { zh: (p) => `设备${has(p.device) ? ` ${s(p.device)} ` : ''}现在没有这条告警（可能已恢复）`, en: (p) => `The device${paren(p.device)} has no such alarm now (it may have cleared)` },
  no_gates: { zh: (p) => `园区${has(p.venue) ? ` ${s(p.venue)} ` : ''}没有闸机`, en: (p) => `No gate serves a lane of the venue${paren(p.venue)}` },
  lane_taken: {
    zh: (p) => `通道${has(p.lane) ? ` ${s(p.lane)} ` : ''}已由${has(p.device) ? ` ${s(p.device)} ` : '其他设备'}服务`,
    en: (p) => `The lane${paren(p.lane)} is served by ${has(p.device) ? s(p.device) : 'another device'}`,
  },

  // Devices
  device_unauthorized: { zh: () => '设备凭证缺失或错误', en: () => 'Device credentials missing or wrong' },
  device_forbidden: { zh: () => '此设备无权调用', en: () => 'This device may not call this' },

  // Faces
  bad_image: { zh: () => '图片无法识别', en: () => 'The image does not decode' },
  no_face: { zh: () => '照片中未检测到人脸', en: () => 'No face found in the photo' },
  several_faces: { zh: (p) => `照片中有${has(p.count) ? ` ${s(p.count)} ` : '多'}张人脸，每张照片只能一人`, en: (p) => `${has(p.count) ? s(p.count) : 'Several'} faces in the photo: one person per photo` },
  poor_quality: { zh: () => '照片质量不够（人脸过小、模糊、侧脸或闭眼），请正对镜头重新拍摄', en: () => 'The photo is not good enough (face too small, blurred, turned away or eyes closed): take another facing the camera' },
  unsupported_format: { zh: () => '不支持的图片格式，请上传 JPEG、PNG 或 WebP', en: () => 'Unsupported image format: send JPEG, PNG or WebP' },
  face_unavailable: { zh: () => '人脸服务暂不可用', en: () => 'Face models are not available on this server' },

  // Templates
  version_conflict: { zh: (p) => `模板已被他人修改${has(p.version) ? `（当前第 ${s(p.version)} 版）` : ''}，请刷新后再改`, en: (p) => `The template was changed meanwhile${has(p.version) ? ` (now version ${s(p.version)})` : ''}: reload and edit again` },
  template_too_wide: { zh: () => '票面元素超出纸宽', en: () => 'An element is wider than the paper' },
  template_too_long: { zh: (p) => `票面太长${has(p.limit) ? `：超过 ${s(p.limit)} 点（${Number(p.limit) / 8} 毫米）` : ''}`, en: (p) => `The ticket is too long${has(p.limit) ? `: over ${s(p.limit)} dots (${Number(p.limit) / 8} mm)` : ''}` },
  template_too_much_text: { zh: (p) => `票面文字太多${has(p.limit) ? `：字数乘以放大倍数超过 ${s(p.limit)}` : ''}，请减少文字或缩小字号`, en: (p) => `Too much text on the ticket${has(p.limit) ? `: over ${s(p.limit)} characters, each counted width x height times` : ''}` },
  control_character: { zh: (p) => `${has(p.field) ? `“${s(p.field)}”` : '输入内容'}含有不可见的控制字符${paren(p.char)}，请删除后重试`, en: (p) => `${has(p.field) ? `"${s(p.field)}"` : 'The input'} holds an invisible control character${paren(p.char)}: remove it and try again` },
  capacity_below_sold: { zh: (p) => `${has(p.day) ? `${s(p.day)} ` : ''}已售 ${s(p.sold)} 张，容量不能少于已售数`, en: (p) => `${s(p.sold)} already sold${has(p.day) ? ` for ${s(p.day)}` : ''}: the capacity cannot be less` },
  template_bad_image: { zh: () => '模板中的图片无法识别', en: () => 'An image of the template does not decode' },
  template_bad_code: { zh: () => '票码不能打印', en: () => 'The ticket code is not printable' },
  template_no_value: { zh: () => '票没有条码所需的内容', en: () => 'The ticket has no value for the barcode' },

  // The site hub: selling at the site while the line to HQ is down, and what HQ takes from it
  key_taken: { zh: () => '此签名密钥已属于其他签发方', en: () => 'This signing key belongs to another issuer' },
  unknown_order: { zh: (p) => `订单不存在${colon(p.id)}`, en: (p) => `Unknown order${has(p.id) ? `: ${s(p.id)}` : ''}` },
  unknown_user: { zh: () => '该售票员在总部不存在', en: () => 'The seller is not a user at HQ' },
  seq_conflict: { zh: () => '该编号的条目已以不同内容入账', en: () => 'An entry with this number was taken with other content' },
  hub_not_ready: { zh: () => '站点服务器尚未从总部取得票种和用户，请待网络恢复后重试', en: () => 'The site hub has not yet fetched ticket types and users from HQ: try again once the line is up' },
  hub_no_key: { zh: () => '站点服务器尚无总部授权的签名密钥，暂不能售票', en: () => 'The site hub holds no signing key delegated by HQ yet: it cannot sell' },
  delegation_expired: { zh: () => '站点售票授权已到期，请恢复与总部的网络连接', en: () => 'The site\'s selling delegation has run out: restore the line to HQ' },
  lease_exhausted: {
    zh: (p) => `站点可售余量不足${has(p.type) ? `：${s(p.type)}` : ''}${has(p.day) ? ` ${s(p.day)}` : ''}${has(p.left) ? ` 剩 ${s(p.left)} 人` : ''}，请稍候（联网时自动向总部申请）`,
    en: (p) => `The site hub's share of capacity is short${has(p.type) ? ` for ${s(p.type)}` : ''}${has(p.day) ? ` on ${s(p.day)}` : ''}${has(p.left) ? `: ${s(p.left)} left` : ''}; it asks HQ for more while the line is up`,
  },
  offline_method: { zh: (p) => `站点服务器仅收现金和银行卡${has(p.method) ? `，不能收 ${s(p.method)}` : ''}`, en: (p) => `The site hub takes cash and card only${has(p.method) ? `, not ${s(p.method)}` : ''}` },
  not_at_hub: { zh: () => '此功能仅在总部提供', en: () => 'This is available at HQ only' },
  not_hub_sale: { zh: () => '只能退本站点服务器售出的订单，其他订单请到总部办理', en: () => 'Only sales made at this site hub are refunded here: refund others at HQ' },
  order_refunded: { zh: () => '该订单已退款', en: () => 'The order was refunded already' },

  // Water park one-card (cloud/wallet)
  unknown_wallet: { zh: () => '一卡通账户不存在', en: () => 'No such wristband wallet' },
  unknown_band: { zh: (p) => `腕带未发放或已退还${colon(p.id)}`, en: (p) => `This wristband is not issued${has(p.id) ? `: ${s(p.id)}` : ''}` },
  band_in_use: { zh: () => '腕带已在使用中，请先结算', en: () => 'This wristband is already issued; settle it first' },
  wallet_closed: { zh: (p) => `该腕带${p.state === 'lost' ? '已挂失' : p.state === 'settled' ? '已结算' : '不可用'}`, en: (p) => `This wristband is ${has(p.state) ? s(p.state) : 'closed'}` },
  wallet_limit: { zh: (p) => `余额超过上限${has(p.limitFen) ? ` ${yuan(p.limitFen)}` : ''}`, en: (p) => `The balance would pass the limit${has(p.limitFen) ? ` of ${yuan(p.limitFen)}` : ''}` },
  unknown_shop: { zh: (p) => `消费点不存在${colon(p.id)}`, en: (p) => `No such shop${has(p.id) ? `: ${s(p.id)}` : ''}` },
  unknown_locker: { zh: (p) => `储物柜不存在${colon(p.id)}`, en: (p) => `No such locker${has(p.id) ? `: ${s(p.id)}` : ''}` },
  locker_in_use: { zh: (p) => `储物柜${has(p.code) ? ` ${s(p.code)} ` : ''}使用中`, en: (p) => `Locker ${s(p.code)} is in use` },
  band_blocked: { zh: () => '腕带已挂失或已结算，不能消费', en: () => 'This wristband is blocked (lost or returned)' },
  unknown_charge: { zh: () => '要退的消费不存在或金额不符', en: () => 'The charge to refund does not exist or its amount differs' },
  already_refunded: { zh: () => '该消费已退款', en: () => 'This charge was refunded already' },
  locker_free: { zh: (p) => `储物柜${has(p.code) ? ` ${s(p.code)} ` : ''}未分配`, en: (p) => `Locker ${s(p.code)} is not assigned` },
  park_full: { zh: () => '景区已达最大承载量，今日暂停售票，请稍后再试', en: () => 'The park is at its maximum capacity: sales for today are stopped' },
  bad_template: { zh: () => '指纹模板格式不对（须为模块导出的 base64 模板，不收图像）', en: () => 'Not a fingerprint template of the module (base64 of its template, never an image)' },
  hub_line_mismatch: { zh: (p) => `站点服务器上传的售票明细与总部核算不符${paren(p.saleId)}`, en: (p) => `A sale line uploaded by the site hub does not add up at HQ${paren(p.saleId)}` },
  order_not_owed: { zh: () => '该订单不是已扣款未出票的订单', en: () => 'This order is not one paid and not issued' },
  ticket_signature: { zh: (p) => `票${has(p.ticket) ? ` ${s(p.ticket)} ` : ''}的签名无效或与记录不符`, en: (p) => `Ticket ${s(p.ticket)} is not signed by a key of its site as recorded` },
  ticket_count: { zh: () => '上传的票数与售票明细不符', en: () => 'The tickets uploaded do not match the sale line' },
  no_book: { zh: () => '这笔钱没有所属账簿（班次或财务现金簿），未记账', en: () => 'This money has no book (a shift or the office cash book): nothing was recorded' },
  device_required: { zh: () => '上传须使用设备凭证', en: () => 'Uploads take a device credential' },
  bad_batch: { zh: () => '上传的数据批次格式不对', en: () => 'Not a valid upload batch' },
} satisfies Record<string, ErrorMessage>;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/** The message of a code in a locale, with the error's details filled in; undefined for an unknown code. */
export function errorMessage(code: string, locale: Locale, params: ErrorParams = {}): string | undefined {
  if (!Object.hasOwn(ERROR_MESSAGES, code)) return undefined;
  const m = (ERROR_MESSAGES as Record<string, ErrorMessage>)[code]!;
  return (locale === 'en' ? m.en : m.zh)(params);
}
