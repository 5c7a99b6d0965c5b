import type { Hono } from 'hono';
import { z } from 'zod';
import { routesOf } from '../../cloud/openapi/document.ts';

/**
 * Holds an answer to the schema its route declares (endpoint({ responses })): tests call the
 * real route and check that what it sends is what the OpenAPI document promises.
 */
export function checkAnswer(app: Hono<any, any, any>, method: string, url: string, status: number, body: unknown): void {
  const path = url.split('?')[0]!.replace(/^\/api\/v1/, '') || '/';
  const route = routesOf(app, '/api/v1').find((r) => r.method === method
    && new RegExp(`^${r.path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`).test(path) && r.specs.length);
  if (!route) throw new Error(`no declared route for ${method} ${path}`);
  const declared = route.specs[0]!.responses?.[status];
  const schema = declared instanceof z.ZodType ? declared : declared?.schema;
  if (!schema) throw new Error(`${method} ${route.path} declares no schema for ${status}`);
  const r = schema.safeParse(body);
  if (!r.success) throw new Error(`${method} ${url} answered what its schema does not allow: ${JSON.stringify(r.error.issues.slice(0, 3))}`);
}
