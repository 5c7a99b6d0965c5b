/** The sealed handover report of a shift (cloud/office/shifts.ts figures). */
export interface Report {
  shiftId: string;
  seller: { displayName: string; username: string };
  openedAt: string; closedAt: string; floatFen: number;
  payments: { method: string; chargesFen: number; refundsFen: number; expectedFen: number; countedFen: number | null; differenceFen: number | null }[];
  totals: { chargesFen: number; refundsFen: number };
  orders: number;
  tickets: { type: string; quantity: number; persons: number; amountFen: number }[];
  refunds: { count: number; amountFen: number; tickets: number };
  stock: Record<string, number>;
  ticketEvents: Record<string, number>;
}
