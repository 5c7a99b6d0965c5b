import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { CloudEnv, SignedInEnv } from './env.ts';
import { AppError, jsonBody } from './errors.ts';

/**
 * One declaration per route: what it takes (path parameters, query, JSON body), what it
 * answers, in zod. `endpoint({...})` is a middleware that validates the request with those
 * schemas (handlers read `c.req.valid('json' | 'query' | 'param')`, typed) and carries the
 * declaration, so the OpenAPI document (cloud/openapi/document.ts) is made by walking the
 * app's routes: a route and its description cannot drift apart.
 *
 *   .post('/', endpoint({ summary: '开班', body: openRequest, responses: { 201: shiftView }, signedIn: true }),
 *     async (c) => c.json(await openShift(ctx, c.get('user'), c.req.valid('json')), 201))
 */
export interface ResponseDecl {
  description?: string;
  schema?: z.ZodType;
  /** Media type of the answer; default application/json. */
  contentType?: string;
}

export interface EndpointSpec {
  summary: string;
  description?: string;
  tags?: readonly string[];
  operationId?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A JSON body, validated here; an empty body is validated as `undefined`. */
  body?: z.ZodType;
  /** Bodies the handler reads itself (documented only): media type -> schema or null. */
  otherBodies?: Readonly<Record<string, z.ZodType | null>>;
  responses?: Readonly<Record<number, z.ZodType | ResponseDecl>>;
  /** The handler needs the logged-in user (the policy guarantees one; checked here too). */
  signedIn?: boolean;
}

export const ENDPOINT = Symbol.for('scenic.endpoint');

type Z = z.ZodType;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- {} is the neutral element of these intersections
type Nothing = {};
type Out<S extends EndpointSpec> = (S['body'] extends Z ? { json: z.output<S['body']> } : Nothing)
  & (S['query'] extends Z ? { query: z.output<S['query']> } : Nothing)
  & (S['params'] extends Z ? { param: z.output<S['params']> } : Nothing);
type EnvOf<S extends EndpointSpec> = S['signedIn'] extends true ? SignedInEnv : CloudEnv;

export type EndpointMiddleware<S extends EndpointSpec> = MiddlewareHandler<EnvOf<S>, string, { out: Out<S> }> & { readonly [ENDPOINT]: S };

/** The declaration a handler carries, if it is an endpoint middleware. */
export function endpointSpec(handler: unknown): EndpointSpec | undefined {
  return typeof handler === 'function' ? (handler as { [ENDPOINT]?: EndpointSpec })[ENDPOINT] : undefined;
}

function parse(schema: z.ZodType, value: unknown): unknown {
  // reportInput: the error handler can tell a missing field from a wrong one (never echoed back).
  const r = schema.safeParse(value, { reportInput: true });
  if (!r.success) throw r.error;
  return r.data;
}

async function body(c: Context): Promise<unknown> {
  if (c.req.header('content-length') === '0' || c.req.raw.body === null) return undefined;
  return jsonBody(c);
}

export function endpoint<const S extends EndpointSpec>(spec: S): EndpointMiddleware<S> {
  const mw: MiddlewareHandler = async (c, next) => {
    if (spec.signedIn && !(c as Context<CloudEnv>).get('user')) throw new AppError('unauthenticated', 'log in first', 401);
    if (spec.params) c.req.addValidatedData('param', parse(spec.params, c.req.param()) as object);
    if (spec.query) c.req.addValidatedData('query', parse(spec.query, c.req.query()) as object);
    if (spec.body) c.req.addValidatedData('json', parse(spec.body, await body(c)) as object);
    await next();
  };
  return Object.assign(mw, { [ENDPOINT]: spec }) as unknown as EndpointMiddleware<S>;
}
