/**
 * The ledger's reconciliation report (cloud/reports/reconciliation.ts): every invariant of
 * the ledger side by side, day by day, each day opening with its overview row; a day with a
 * difference is red. The sales-by-seller and sales-by-day checks below it are made here from
 * those reports (sales counted at the time of sale, money from the payment records).
 */
export const RECONCILIATION_REPORT = 'reconciliation';
