import type { Hono } from 'hono';
import { openApiDocument } from './document.ts';

export const API_BASE = '/api/v1';

/** The document of the whole HTTP API (GET /api/v1/openapi.json). */
export function apiDocument(app: Hono<any, any, any>) {
  return openApiDocument(app, {
    base: API_BASE,
    title: 'Scenic ticketing HQ API',
    description: 'JSON under /api/v1; money in fen (integers); times as ISO instants, business days as YYYY-MM-DD in the site\'s zone. '
      + 'Errors are {"error":{"code","message"}}: `code` is stable, `message` is in Chinese unless Accept-Language: en or ?lang=en. '
      + 'Lists page with a cursor: pass `next` as `cursor`. x-roles: the roles the policy lets call an operation.',
  });
}

/** The booking API's own document for channel partners (GET /api/v1/channels/openapi.json). */
export function channelDocument(app: Hono<any, any, any>) {
  return openApiDocument(app, {
    base: `${API_BASE}/channels`,
    title: 'Scenic ticketing booking API',
    description: 'Online and OTA bookings: book -> pay -> tickets (signed codes for QR) -> pickup or cancel. Money in fen. Every write takes an Idempotency-Key.',
    include: (_method, path) => !path.startsWith('/admin') && path !== '/openapi.json',
    security: () => 'channel',
  });
}
