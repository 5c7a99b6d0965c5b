import { agentErrorClass } from '../agent/errors.ts';

/**
 * What can go wrong at a kiosk, with a stable code the screen turns into its own words
 * (page/kiosk.js) and a message in both languages for logs and API callers.
 */
export const KIOSK_ERRORS = {
  invalid_request: [400, '输入有误', 'invalid input'],
  invalid_phone: [400, '手机号无效', 'not a valid mobile number'],
  invalid_id_number: [400, '身份证号无效', 'not a valid ID card number'],
  not_found: [404, '未找到订单，请核对订单号和手机号', 'no booking found; check the order number and phone'],
  expired_session: [404, '操作已超时，请重新查询', 'this lookup has expired; search again'],
  already_picked_up: [409, '该订单已取票', 'the tickets of this booking were already picked up'],
  booking_cancelled: [409, '订单已取消', 'the booking was cancelled'],
  not_paid: [409, '订单未付款', 'the booking is not paid'],
  not_today: [409, '不是今天的订单，请在游玩当日取票', 'this booking is for another day; pick it up on the visit day'],
  paper_out: [503, '打印机缺纸，请联系工作人员', 'the printer is out of paper; please ask staff'],
  printer_unavailable: [503, '打印机故障，请联系工作人员', 'the printer is not working; please ask staff'],
  sale_unavailable: [503, '暂时无法购票（网络中断），取票不受影响', 'ticket sales are unavailable (no connection); pickup still works'],
  payment_failed: [402, '支付失败，未扣款', 'payment failed; nothing was charged'],
  payment_pending: [202, '等待支付确认', 'waiting for the payment to be confirmed'],
  price_changed: [409, '票价已变更，请重新选择', 'prices changed; choose again'],
  sold_out: [409, '今日余票不足', 'not enough tickets left today'],
  paid_not_issued: [409, '已扣款但出票失败，请联系工作人员退款', 'paid, but the tickets could not be issued; staff will refund'],
  busy: [409, '正在处理，请稍候', 'still working on it; please wait'],
  invalid_band: [400, '腕带号无效，请重新刷腕带', 'not a wristband; read it again'],
  band_blocked: [409, '腕带已挂失或已在使用，请到服务台', 'this band is blocked or changed meanwhile; please go to the desk'],
  wallet_unavailable: [503, '暂时无法充值（网络中断）', 'wristband top-up is unavailable (no connection)'],
} as const;
export type KioskErrorCode = keyof typeof KIOSK_ERRORS;

export const KioskError = agentErrorClass('KioskError', KIOSK_ERRORS);
export type KioskError = InstanceType<typeof KioskError>;
