/**
 * The tables whose every row is in the audit chain: each carries money or grants entry.
 * A database trigger (`audit_row`, installed by `select audit_track(...)` in a migration)
 * writes an image of each inserted, updated or deleted row into the chain in the row's own
 * transaction; verify (./verify.ts) checks every current row against its newest image and
 * refuses to call a database sound when a table of this list has no trigger, or a trigger
 * with other arguments than listed here. How a new table joins: ./README.md.
 */
export interface AuditedTable {
  /** Table name in the database. */
  table: string;
  /** What people call it (findings are in Chinese). */
  zh: string;
  en: string;
  /** Primary key columns (database names); a row's subject is their values joined by '/'. */
  key: string[];
  /** Only these columns are imaged (a table with busy columns that are not money or rights). */
  only?: string[];
  /** Columns imaged as their SHA-256 (secrets: a change is still seen, the value is not copied). */
  redact?: string[];
  /**
   * Columns HQ's code changes after the row is written; a recorded change of any other column
   * is reported (someone changed a written fact with the triggers on). 'all': a setting, every
   * change is legitimate and its record is the point.
   */
  mutable: 'all' | string[];
  /** Rows HQ's code deletes (settings, grants); a recorded delete elsewhere is reported. */
  deletable?: boolean;
  /** Once this column is set (a sealed shift), nothing of the row may change any more. */
  sealedBy?: string;
}

export const AUDITED_TABLES: AuditedTable[] = [
  // Sales and what they grant.
  { table: 'sales', zh: '销售', en: 'sale', key: ['id'], mutable: [] },
  { table: 'tickets', zh: '门票', en: 'ticket', key: ['id'], mutable: ['revoked_reason', 'valid_until', 'code', 'key_id'] },
  { table: 'credentials', zh: '凭证绑定', en: 'credential', key: ['kind', 'value', 'ticket_id'], mutable: ['released_at', 'release_reason'] },
  { table: 'orders', zh: '订单', en: 'order', key: ['id'], mutable: ['status', 'issued_at', 'shift_id'] },
  { table: 'payments', zh: '收款', en: 'payment', key: ['id'], mutable: [] },
  { table: 'payment_intents', zh: '移动支付', en: 'payment intent', key: ['id'], mutable: ['provider_ref', 'status', 'payment_id', 'updated_at'] },
  { table: 'refunds', zh: '退款', en: 'refund', key: ['id'], mutable: [] },
  { table: 'ticket_events', zh: '票务事件', en: 'ticket event', key: ['id'], mutable: [] },
  // Accounts and vouchers.
  { table: 'customer_accounts', zh: '客户账户', en: 'customer account', key: ['id'], mutable: 'all' },
  { table: 'account_entries', zh: '账户流水', en: 'account entry', key: ['id'], mutable: [] },
  { table: 'vouchers', zh: '代金券', en: 'voucher', key: ['code'], mutable: [] },
  { table: 'voucher_redemptions', zh: '代金券使用', en: 'voucher use', key: ['code'], mutable: [] },
  { table: 'guide_ledger', zh: '导游返利', en: 'guide ledger', key: ['id'], mutable: [] },
  { table: 'contracts', zh: '客户合同', en: 'contract', key: ['id'], mutable: 'all' },
  // Pre-printed stock.
  { table: 'stock_batches', zh: '票卡批次', en: 'stock batch', key: ['id'], mutable: [] },
  { table: 'stock_items', zh: '票卡', en: 'stock item', key: ['serial'], mutable: ['status', 'holder_id', 'ticket_id', 'updated_at'] },
  { table: 'stock_moves', zh: '票卡流转', en: 'stock move', key: ['id'], mutable: [] },
  // Shifts: sealed at close.
  { table: 'shifts', zh: '班次', en: 'shift', key: ['id'], mutable: ['closed_at', 'report', 'report_hash'], sealedBy: 'closed_at' },
  // Member cards.
  { table: 'member_cards', zh: '会员卡', en: 'member card', key: ['id'], mutable: ['expires_on', 'ticket_id', 'state', 'replaced_by'] },
  { table: 'member_card_events', zh: '会员卡事件', en: 'member card event', key: ['id'], mutable: [] },
  // Channels' bookings and prices.
  { table: 'bookings', zh: '渠道订单', en: 'booking', key: ['id'], mutable: ['state', 'paid_at', 'payment_ref', 'cancelled_at', 'cancel_reason', 'picked_up_at'] },
  { table: 'booking_items', zh: '渠道订单明细', en: 'booking line', key: ['booking_id', 'type_id'], mutable: ['sale_id'] },
  { table: 'channels', zh: '销售渠道', en: 'channel', key: ['id'], mutable: 'all' },
  { table: 'channel_prices', zh: '渠道价格', en: 'channel price', key: ['channel_id', 'type_id'], mutable: 'all', deletable: true },
  { table: 'channel_day_usage', zh: '渠道配额', en: 'channel quota use', key: ['channel_id', 'day'], mutable: 'all' },
  // Prices, types, discounts, capacity: settings whose every change is recorded.
  { table: 'ticket_types', zh: '票种', en: 'ticket type', key: ['id'], mutable: 'all' },
  { table: 'price_rules', zh: '价格规则', en: 'price rule', key: ['id'], mutable: 'all', deletable: true },
  { table: 'holidays', zh: '节假日', en: 'holiday', key: ['day'], mutable: 'all', deletable: true },
  { table: 'discounts', zh: '折扣', en: 'discount', key: ['id'], mutable: 'all' },
  { table: 'day_capacity', zh: '每日容量', en: 'day capacity', key: ['type_id', 'day'], mutable: 'all' },
  { table: 'guides', zh: '导游', en: 'guide', key: ['id'], mutable: 'all' },
  // Who may do what.
  { table: 'users', zh: '用户', en: 'user', key: ['id'], redact: ['password_hash'], mutable: 'all' },
  { table: 'seller_types', zh: '售票员票种授权', en: 'seller type grant', key: ['user_id', 'type_id'], mutable: 'all', deletable: true },
  { table: 'seller_discounts', zh: '售票员折扣授权', en: 'seller discount grant', key: ['user_id', 'discount_id'], mutable: 'all', deletable: true },
  // Water park: wristband wallets, shops, lockers, and what site hubs uploaded. Joined at the merge
  // with the water-park work: every change recorded and allowed until their owners narrow it.
  { table: 'wallets', zh: '腕带钱包', en: 'wallet', key: ['id'], mutable: 'all' },
  { table: 'wallet_lines', zh: '钱包分录', en: 'wallet line', key: ['movement_id', 'account'], mutable: 'all', deletable: true },
  { table: 'pos_charges', zh: '消费扣款', en: 'POS charge', key: ['charge_id'], mutable: 'all', deletable: true },
  { table: 'shop_items', zh: '商户商品', en: 'shop item', key: ['shop', 'code'], mutable: 'all', deletable: true },
  { table: 'lockers', zh: '储物柜', en: 'locker', key: ['site', 'code'], mutable: 'all', deletable: true },
  { table: 'hub_uploads', zh: '站点上传', en: 'hub upload', key: ['site', 'hub', 'seq'], mutable: 'all', deletable: true },
  // Devices HQ provisioned (what may admit); their presence columns change every minute and stay out.
  { table: 'devices', zh: '设备', en: 'device', key: ['site', 'device'], only: ['site', 'device', 'role', 'lanes', 'name', 'active', 'provisioned_at'], mutable: 'all' },
  { table: 'device_credentials', zh: '设备凭据', en: 'device credential', key: ['site', 'device', 'role'], mutable: 'all', deletable: true },
];

/**
 * Tables with money or rights that are knowingly not on the list, and why. A test
 * (cloud/audit/tables.test.ts) fails when a table has a money column (`*_fen`, `amount`) and
 * is in neither list, so a new financial table cannot be forgotten.
 */
export const NOT_AUDITED: Record<string, string> = {
  audit_log: 'the chain itself',
  audit_pending: 'records of transactions under way',
  audit_pending_tx: 'deferred transactions committed and waiting to be chained',
};

export const auditedTable = (name: string) => AUDITED_TABLES.find((t) => t.table === name);
