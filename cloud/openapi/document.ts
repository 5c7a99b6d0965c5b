import type { Hono } from 'hono';
import { z } from 'zod';
import { accessFor, type Access } from '../auth/policy.ts';
import { endpointSpec, type EndpointSpec, type ResponseDecl } from '../http/endpoint.ts';
import { idempotencyOf } from '../http/idempotency.ts';

/**
 * The OpenAPI 3.1 document of an app, made by walking its routes (`app.routes`): each
 * route's `endpoint({...})` declaration gives its parameters, body and answers as JSON Schema
 * (zod 4's own `z.toJSONSchema`), and the policy table (auth/policy.ts) who may call it.
 * Schemas given an id (`.meta({ id: 'Order' })`) become named components.
 */
export interface DocumentOptions {
  /** Mount point of the API inside the app, e.g. /api/v1: paths are written relative to it. */
  base: string;
  title: string;
  version?: string;
  description?: string;
  /** Which routes to describe (path relative to base, `:param` form). */
  include?: (method: string, path: string) => boolean;
  /** Security for an operation; default: from the policy table. */
  security?: (method: string, path: string) => Access | undefined;
}

type Json = Record<string, unknown>;

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable error code (shared/i18n/errors.ts)'),
    message: z.string().describe('For people, in the request\'s language (zh-CN unless Accept-Language: en or ?lang=en)'),
    field: z.string().optional().describe('Validation errors: path of the first field at fault, e.g. lines.0.quantity'),
    issues: z.array(z.object({ path: z.string(), field: z.string(), message: z.string() })).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    detail: z.string().optional().describe('The server\'s own wording, for logs'),
  }),
}).meta({ id: 'Error' });

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** `/orders/:id{[0-9a-f-]+}` -> `/orders/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, '{$1}');

const operationId = (method: string, path: string) =>
  method.toLowerCase() + path.split('/').filter(Boolean)
    .map((p) => p.startsWith(':') ? `By${cap(p.slice(1).replace(/\{.*\}$/, ''))}` : p.split(/[^A-Za-z0-9]+/).map(cap).join(''))
    .join('');
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Collects JSON Schemas, moving every named sub-schema into components. */
class Schemas {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    delete json.$schema;
    const defs = Object.entries((json.$defs ?? {}) as Record<string, Json>);
    delete json.$defs;
    const rewriteWith = (names: Map<string, string>) => {
      const walk = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(walk);
        if (!v || typeof v !== 'object') return v;
        const out: Json = {};
        for (const [k, x] of Object.entries(v)) {
          out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/')
            ? `#/components/schemas/${names.get(x.slice(8)) ?? x.slice(8)}` : walk(x);
        }
        return out;
      };
      return (v: Json) => walk(v) as Json;
    };
    const plain = rewriteWith(new Map());
    const names = new Map(defs.map(([id, def]) => [id, this.nameFor(id, plain(def), io)]));
    const final = rewriteWith(names);
    for (const [id, def] of defs) this.components[names.get(id)!] ??= final(def);
    const top = final(json);
    // A named schema at the top is itself a component.
    const id = (schema.meta() as { id?: string } | undefined)?.id;
    if (id && !('$ref' in top)) {
      const name = this.nameFor(id, top, io);
      this.components[name] ??= top;
      return { $ref: `#/components/schemas/${name}` };
    }
    return top;
  }

  /** The component name of a named schema: its id, or `<id>Input` / `<id>Output` when the other shape holds the id. */
  private nameFor(id: string, def: Json, io: 'input' | 'output'): string {
    const same = (name: string) => JSON.stringify(this.components[name]) === JSON.stringify(def);
    if (!this.components[id] || same(id)) return id;
    return io === 'input' ? `${id}Input` : `${id}Output`;
  }
}

function securityOf(access: Access | undefined): { security: Json[]; roles?: readonly string[] } {
  if (access === 'public') return { security: [] };
  if (access === 'device') return { security: [{ deviceBasic: [] }] };
  if (access === 'channel') return { security: [{ channelKey: [] }] };
  if (access) return { security: [{ bearer: [] }], roles: access };
  return { security: [{ bearer: [] }], roles: [] };
}

function response(schemas: Schemas, status: number, r: z.ZodType | ResponseDecl | undefined): Json {
  const decl: ResponseDecl = r === undefined ? {} : r instanceof z.ZodType ? { schema: r } : r;
  const type = decl.contentType ?? 'application/json';
  const description = decl.description ?? (status === 201 ? 'Created' : 'OK');
  if (!decl.schema && type === 'application/json') return { description, content: { [type]: { schema: {} } } };
  return { description, content: { [type]: { schema: decl.schema ? schemas.convert(decl.schema, 'output') : { type: 'string' } } } };
}

function parameters(schemas: Schemas, where: 'path' | 'query', schema: z.ZodObject | undefined, names: string[]): Json[] {
  const json = schema ? schemas.convert(schema, 'input') : undefined;
  const props = (json?.properties ?? {}) as Record<string, Json>;
  const required = new Set((json?.required ?? []) as string[]);
  const keys = where === 'path' ? names : Object.keys(props);
  return keys.map((name) => {
    const { description, ...s } = props[name] ?? { type: 'string' };
    return { name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: s };
  });
}

/** The header, described once here; each write that takes it lists it (required or not). */
export const IDEMPOTENCY_KEY_DOC = 'Idempotency-Key: a key unique per write, for safe retries. The same key from the same user, device or channel with the same '
  + 'method, path and body replays the first answer (header Idempotent-Replayed: true) without writing again; with another request it is refused '
  + '(409 idempotency_conflict). A write that failed keeps no key: retry with the same one. Two requests with one key at once write once.';

function operation(schemas: Schemas, method: string, path: string, spec: EndpointSpec | undefined, access: Access | undefined, idem?: 'optional' | 'required'): Json {
  const names = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const { security, roles } = securityOf(access);
  if (!spec) {
    return { operationId: operationId(method, path), summary: `${method} ${path}`, 'x-undocumented': true, security, responses: { 200: { description: 'OK' } } };
  }
  const params = [
    ...parameters(schemas, 'path', spec.params, names),
    ...(spec.query ? parameters(schemas, 'query', spec.query, []) : []),
    ...(idem ? [{
      name: 'Idempotency-Key', in: 'header', required: idem === 'required',
      description: 'See the API description (Idempotency-Key)', schema: { type: 'string', minLength: 1, maxLength: 128 },
    }] : []),
  ];
  const content: Json = {};
  if (spec.body) content['application/json'] = { schema: schemas.convert(spec.body, 'input') };
  for (const [type, s] of Object.entries(spec.otherBodies ?? {})) content[type] = { schema: s ? schemas.convert(s, 'input') : { type: 'string', contentMediaType: type } };
  const bodyOptional = spec.body ? spec.body.safeParse(undefined).success : true;
  const responses: Json = {};
  const declared = Object.entries(spec.responses ?? {});
  // A route that answers 201 (or anything but 200) declares it.
  if (declared.length === 0) responses[200] = response(schemas, 200, undefined);
  for (const [status, r] of declared) responses[status] = response(schemas, Number(status), r);
  responses.default = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    operationId: spec.operationId ?? operationId(method, path),
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [...(spec.tags ?? [path.split('/')[1] || 'api'])],
    ...(params.length ? { parameters: params } : {}),
    ...(Object.keys(content).length ? { requestBody: { required: !bodyOptional, content } } : {}),
    responses,
    security,
    ...(roles ? { 'x-roles': roles } : {}),
  };
}

/** Every (method, path) route of an app under `base`, with the handlers registered for it. */
export function routesOf(app: Hono<any, any, any>, base: string): { method: string; path: string; fullPath: string; specs: EndpointSpec[]; idempotency?: 'optional' | 'required' }[] {
  const byKey = new Map<string, { method: string; path: string; fullPath: string; specs: EndpointSpec[]; idempotency?: 'optional' | 'required' }>();
  for (const r of app.routes) {
    if (r.method === 'ALL' || !METHODS.includes(r.method.toLowerCase())) continue;
    if (r.path !== base && !r.path.startsWith(`${base}/`)) continue;
    const path = r.path.slice(base.length) || '/';
    const key = `${r.method} ${path}`;
    const entry = byKey.get(key) ?? { method: r.method, path, fullPath: r.path, specs: [] };
    const spec = endpointSpec(r.handler);
    if (spec) entry.specs.push(spec);
    entry.idempotency ??= idempotencyOf(r.handler);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

export function openApiDocument(app: Hono<any, any, any>, opts: DocumentOptions) {
  const schemas = new Schemas();
  schemas.convert(errorSchema, 'output');
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routesOf(app, opts.base)) {
    if (opts.include && !opts.include(r.method, r.path)) continue;
    const spec = r.specs[0];
    const access = opts.security ? opts.security(r.method, r.path) : accessFor(r.path, r.method);
    (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = operation(schemas, r.method, r.path, spec, access, r.idempotency);
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: { title: opts.title, version: opts.version ?? '1.0.0', description: [opts.description, IDEMPOTENCY_KEY_DOC].filter(Boolean).join('\n\n') },
    servers: [{ url: opts.base }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'POST /auth/login -> token' },
        channelKey: { type: 'apiKey', in: 'header', name: 'X-Channel-Key' },
        deviceBasic: { type: 'http', scheme: 'basic', description: 'A device\'s own credentials (role:site:device, token)' },
      },
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
    },
    paths: sorted,
  };
}
