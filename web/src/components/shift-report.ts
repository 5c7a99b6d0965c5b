import type { components } from '../api/schema';

/** The sealed handover report of a shift, as HQ declares it (cloud/office/shifts/shifts.ts figures). */
export type Report = components['schemas']['ShiftReport'];
