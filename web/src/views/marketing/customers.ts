/** What the customer routes answer (cloud/customers/service.ts): they declare no response schema yet. */
export interface Customer { id: number; code: string; name: string; kind: 'agency' | 'unit'; contact: string | null; phone: string | null; active: boolean }
export interface Contract {
  id: number; contractNo: string; startDay: string; endDay: string; category: string; discountPct: number; creditLimitFen: number;
  settlement: 'prepaid' | 'per_order' | 'monthly'; settlementDays: number; note: string | null; inForce: boolean;
}
export interface CustomerDetail extends Customer {
  contracts: Contract[];
  account: { id: string; category: string; creditLimitFen: number; owedFen: number; availableFen: number } | null;
}
export interface Statement {
  dueDay: string | null;
  orders: { source: 'window' | 'booking'; ref: string; at: string; visitDay: string | null; tickets: number; persons: number; amountFen: number }[];
  totals: { orders: number; amountFen: number };
  credit: { openingFen: number; chargedFen: number; repaidFen: number; closingFen: number };
}
export interface Performance { customers: { customer: string; name: string; kind: string; orders: number; tickets: number; persons: number; amountFen: number }[]; totalFen: number }
export interface Guide {
  id: number; kind: 'guide' | 'driver'; name: string; phone: string; licenseNo: string | null; customerId: number | null; discountPct: number;
  pointsPerPerson: number; rebateFenPerPerson: number; active: boolean;
}
export interface GuideDetail extends Guide {
  balances: { points: number; rebateFen: number; persons: number };
  ledger: { id: string; entry: string; ref: string | null; persons: number; points: number; rebateFen: number; note: string | null; at: string }[];
}
