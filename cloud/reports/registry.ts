import { agencies, groups, guides, salesByChannel, salesByCustomer, salesByDay, salesByPayment, salesBySeller, salesByType } from './sales.ts';
import { entriesByGate, entriesByHour, entriesByLane, inPark, overUse } from './entries.ts';
import type { ReportDef } from './model.ts';
import { origin } from './origin.ts';
import { WALLET_REPORTS } from '../wallet/reports.ts';

export const REPORTS: readonly ReportDef[] = [
  salesByDay, salesByType, salesByChannel, salesBySeller, salesByPayment, salesByCustomer,
  groups, agencies, guides, origin,
  entriesByGate, entriesByLane, entriesByHour, inPark, overUse,
  // Water park one-card (cloud/wallet).
  ...WALLET_REPORTS,
];

export const reportByName = new Map(REPORTS.map((r) => [r.name, r]));
