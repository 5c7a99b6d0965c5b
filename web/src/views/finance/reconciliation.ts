/**
 * Sales against money: sales = payments - refunds, per day, channel and seller, differences
 * highlighted. The ledger's own reconciliation report is read from RECONCILIATION_REPORT
 * when HQ has it; until then the same check is made here from the sales-by-seller and
 * sales-by-day reports (sales counted at the time of sale, money from the payment records).
 */
export const RECONCILIATION_REPORT = 'reconciliation';
