import { agencies, groups, guides, salesByChannel, salesByCustomer, salesByDay, salesByPayment, salesBySeller, salesByType } from './sales.ts';
import { entriesByGate, entriesByHour, entriesByLane, inPark, overUse } from './entries.ts';
import type { ReportDef } from './model.ts';
import { origin } from './origin.ts';
import { WALLET_REPORTS } from '../wallet/reports.ts';

/** The reports of tickets, sales and entries: the seeded month (reports/testing) checks each of them. */
export const TICKET_REPORTS: readonly ReportDef[] = [
  salesByDay, salesByType, salesByChannel, salesBySeller, salesByPayment, salesByCustomer,
  groups, agencies, guides, origin,
  entriesByGate, entriesByLane, entriesByHour, inPark, overUse,
];

/** Every report; the water park's (cloud/wallet) are checked against a day at the park (test/water-day.test.ts, cloud/wallet/wallet.test.ts). */
export const REPORTS: readonly ReportDef[] = [...TICKET_REPORTS, ...WALLET_REPORTS];

export const reportByName = new Map(REPORTS.map((r) => [r.name, r]));
