import { agentErrorClass } from '../agent/errors.ts';

/** What can go wrong at a POS, with a stable code the page turns into its own words. */
export const POS_ERRORS = {
  invalid_request: [400, '输入有误', 'invalid input'],
  unknown_band: [404, '腕带未发放或本机尚未同步，请到服务台', 'this band is not issued (or not yet known here); send the visitor to the desk'],
  band_blocked: [409, '腕带已挂失或已结算，不能消费', 'this band is blocked (lost or returned)'],
  insufficient_balance: [409, '余额不足，请到服务台充值', 'not enough balance; top up at the desk'],
  offline_limit: [409, '网络中断，已达离线消费限额', 'offline: this band reached the offline limit here'],
  unknown_item: [400, '商品不存在', 'no such item'],
  unknown_charge: [404, '消费记录不存在', 'no such charge'],
  already_refunded: [409, '该消费已退款', 'this charge was refunded already'],
  no_locker: [404, '该腕带没有分配本处的储物柜', 'this band holds no locker here'],
  locker_fault: [503, '储物柜故障，请联系工作人员', 'the locker did not open; please ask staff'],
  supervisor_required: [403, '退款需主管授权（密码错误）', 'a refund needs the supervisor PIN'],
} as const;
export type PosErrorCode = keyof typeof POS_ERRORS;

export const PosError = agentErrorClass('PosError', POS_ERRORS);
export type PosError = InstanceType<typeof PosError>;
