import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import type { CloudEnv } from '../http/env.ts';
import { orderRoutes } from './orders/routes.ts';
import type { MobileProvider } from './payments/mobile.ts';
import { paymentRoutes } from './payments/routes.ts';
import { pricingRoutes } from './pricing/routes.ts';
import { shiftRoutes } from './shifts/routes.ts';
import { stockRoutes } from './stock/routes.ts';

/**
 * The ticket office, one folder per concept (README.md beside this file): orders (a sale and
 * what follows it), payments and accounts, stock, shifts, pricing. Money is written by the
 * ledger (cloud/ledger), the audit chain by cloud/audit.
 */
export function officeRoutes(ctx: CloudContext, mobile: MobileProvider) {
  return new Hono<CloudEnv>()
    .route('/', orderRoutes(ctx, mobile))
    .route('/', paymentRoutes(ctx, mobile))
    .route('/', stockRoutes(ctx))
    .route('/', shiftRoutes(ctx))
    .route('/', pricingRoutes(ctx));
}
