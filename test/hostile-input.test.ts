import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { createApp } from '../cloud/app.ts';
import { login, startTestCloud, TEST_ADMIN_PASSWORD } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { bookingChannel } from './support/channel.ts';

/*
 * Hostile input over HTTP, generated rather than listed: every write endpoint comes from the
 * app's own route list; the body each one reads is found by watching which exported zod
 * schema of the cloud modules it parses a probe with; a sample of that schema is built, and
 * control characters go into each of its strings in turn, into each path parameter and into
 * the query. Impossible days go wherever the schema takes a day. Every answer must be 4xx,
 * never 5xx; a control character must be refused naming the field it was in; and HQ's heap
 * must not grow with what it refused.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const root = new URL('..', import.meta.url).pathname;
const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BAD_CHARS = ['\u0000', '\u001b', '\u007f', '\u0085', '\ud800'];

type Schema = z.ZodType;
type Path = (string | number)[];

/** Every zod schema the cloud modules export, each wrapped to note when it parses. */
async function watchSchemas(): Promise<{ used: Schema[]; names: Map<Schema, string> }> {
  const used: Schema[] = [];
  const names = new Map<Schema, string>();
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { if (!['bench', 'testing', 'cli'].includes(e.name)) walk(p); }
      // Programs (main.ts, move-main.ts) run when imported: only modules are walked.
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !/(^|-)main\.ts$/.test(e.name) && e.name !== 'drizzle.config.ts') files.push(p);
    }
  };
  walk(join(root, 'cloud'));
  for (const f of files) {
    const mod = (await import(f)) as Record<string, unknown>;
    for (const [name, v] of Object.entries(mod)) {
      if (!(v instanceof z.ZodType) || names.has(v)) continue;
      names.set(v, `${relative(root, f)}:${name}`);
      const s = v as Schema & Record<string, (...a: unknown[]) => unknown>;
      for (const method of ['parse', 'safeParse', 'parseAsync', 'safeParseAsync']) {
        const original = s[method]!;
        s[method] = function (this: unknown, ...args: unknown[]) {
          used.push(v);
          return original.apply(this, args);
        };
      }
    }
  }
  return { used, names };
}

const def = (s: Schema) => (s as unknown as { _zod: { def: Record<string, any> } })._zod.def;
const DAY_SAMPLE = '2030-01-01';
const STRING_SAMPLES = ['adult', 'x', 'gate-1', 'demo', DAY_SAMPLE, '13900001234', 'TK0001', '04A1B2C3', '11010519491231002X', 'a@example.com', 'https://example.com', '08:00'];

function sampleString(s: Schema): string {
  const checks = (def(s).checks ?? []).map((c: any) => c._zod.def);
  const formats = checks.map((c: any) => c.format).filter(Boolean);
  if (formats.includes('uuid') || formats.includes('guid')) return randomUUID();
  if (formats.includes('datetime')) return new Date(Date.UTC(2030, 0, 1)).toISOString();
  const patterns: RegExp[] = checks.filter((c: any) => c.pattern).map((c: any) => c.pattern);
  const min = Math.max(0, ...checks.filter((c: any) => c.check === 'min_length').map((c: any) => c.minimum));
  const plain = 'x'.repeat(Math.max(1, min));
  if (!patterns.length) return plain;
  const ok = (v: string) => v.length >= min && patterns.every((p) => new RegExp(p.source, p.flags.replace('g', '')).test(v));
  return STRING_SAMPLES.find(ok) ?? [randomUUID(), plain].find(ok) ?? plain;
}

/** A value the schema takes (mostly): every optional field present, so every string has a place. */
function sample(s: Schema, depth = 0): unknown {
  if (depth > 8) return undefined;
  const d = def(s);
  switch (d.type) {
    case 'string': return sampleString(s);
    case 'number': case 'int': {
      const checks = (d.checks ?? []).map((c: any) => c._zod.def);
      const lo = Math.max(1, ...checks.filter((c: any) => c.check === 'greater_than').map((c: any) => c.value + (c.inclusive ? 0 : 1)));
      return lo;
    }
    case 'bigint': return 1;
    case 'boolean': return false;
    case 'date': return new Date(Date.UTC(2030, 0, 1)).toISOString();
    case 'literal': return d.values[0];
    case 'enum': return Object.values(d.entries)[0];
    case 'array': return [sample(d.element, depth + 1)];
    case 'tuple': return d.items.map((i: Schema) => sample(i, depth + 1));
    case 'object': return Object.fromEntries(Object.entries(d.shape as Record<string, Schema>).map(([k, v]) => [k, sample(v, depth + 1)]));
    case 'record': return { [String(sample(d.keyType, depth + 1) ?? 'k')]: sample(d.valueType, depth + 1) };
    case 'union': return sample(d.options[0], depth + 1);
    case 'intersection': return { ...(sample(d.left, depth + 1) as object), ...(sample(d.right, depth + 1) as object) };
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'catch': case 'readonly': case 'nonoptional': return sample(d.innerType, depth + 1);
    case 'pipe': return sample(d.in, depth + 1);
    case 'lazy': return sample(d.getter(), depth + 1);
    case 'any': case 'unknown': return 'x';
    default: return undefined;
  }
}

/** Paths of every string in a value. */
function strings(v: unknown, path: Path = []): Path[] {
  if (typeof v === 'string') return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, [...path, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, [...path, k]));
  return [];
}

function withValue(v: unknown, path: Path, f: (s: string) => string): unknown {
  if (path.length === 0) return f(v as string);
  const copy: any = Array.isArray(v) ? [...v] : { ...(v as object) };
  copy[path[0]!] = withValue(copy[path[0]!], path.slice(1), f);
  return copy;
}

const PARAM_SAMPLES: Record<string, string> = { site: 'demo', device: 'gate-1', lane: 'lane-1', day: DAY_SAMPLE, type: 'adult', code: 'adult' };
const paramValue = (name: string) => PARAM_SAMPLES[name] ?? randomUUID();

test('control characters everywhere, impossible days: every write endpoint answers 4xx, naming the field', async () => {
  const { used, names } = await watchSchemas();
  const cloud = await startTestCloud();
  try {
    const channel = await bookingChannel(cloud.url);
    let token = await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD);
    const routes = [...new Map(createApp(cloud.ctx!).routes.filter((r) => r.method !== 'ALL').map((r) => [`${r.method} ${r.path}`, r])).values()];
    const writes = routes.filter((r) => WRITE.has(r.method));
    assert.ok(writes.length >= 60, `${writes.length} write endpoints found`);

    const failures: string[] = [];
    let requests = 0;
    let n = 0;
    const send = async (method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'Idempotency-Key': `hostile-${++n}`, 'X-Channel-Key': channel.key };
      if (path.startsWith('/api/v1/sync/')) Object.assign(headers, testDeviceHeader('demo', 'kiosk-9', 'kiosk'));
      // Logging out ends the token it is sent with: give it one of its own.
      else headers.authorization = `Bearer ${path.endsWith('/auth/logout') ? await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD) : token}`;
      const res = await fetch(cloud.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      requests++;
      const text = await res.text();
      let json: any;
      try { json = JSON.parse(text); } catch { json = undefined; }
      if (res.status >= 500) failures.push(`${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} -> ${res.status} ${text.slice(0, 200)}`);
      if (res.status === 401 && headers.authorization?.startsWith('Bearer')) token = await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD);
      return { status: res.status, error: json?.error as { code: string; details?: { field?: string; where?: string } } | undefined };
    };
    const fill = (path: string, bad?: string) => path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(name === bad ? `a${'\u0000'}b` : paramValue(name)));

    const heapBefore = (gc(), process.memoryUsage().heapUsed);
    let bodies = 0, positions = 0, days = 0;
    const schemasUsed = new Set<string>();
    const generic: string[] = [];
    const noBody: string[] = [];
    for (const r of writes) {
      const where = `${r.method} ${r.path}`;
      // Which schema does it read its body with? Probe with an empty object and watch.
      used.length = 0;
      await send(r.method, fill(r.path), {});
      const schema = used.find((s) => def(s).type !== 'string');
      if (schema) schemasUsed.add(names.get(schema)!);
      else generic.push(where);
      const body = (schema ? sample(schema) : undefined) ?? { name: 'x', note: 'x', items: [{ code: 'x' }] };
      const probe = await send(r.method, fill(r.path), { ...(body as object), 'na\u0000me': 'x' });
      if (probe.error?.code !== 'control_character') {
        noBody.push(`${where} (${probe.status} ${probe.error?.code ?? ''})`);
        assert.ok(probe.status < 500, where);
      } else {
        bodies++;
        assert.is(probe.error.details?.field, 'na\ufffdme', `${where}: a key is named too`);
        for (const [i, path] of strings(body).slice(0, 30).entries()) {
          // Every string gets a NUL; the others go round the positions.
          for (const bad of i === 0 ? BAD_CHARS : ['\u0000', BAD_CHARS[1 + (i % (BAD_CHARS.length - 1))]!]) {
            positions++;
            const a = await send(r.method, fill(r.path), withValue(body, path, (s) => `${s}${bad}`));
            assert.is(a.status, 400, `${where} ${path.join('.')} U+${bad.charCodeAt(0).toString(16)}`);
            assert.equal([a.error?.code, a.error?.details?.field], ['control_character', path.join('.')], `${where} ${path.join('.')}`);
          }
          if (withValue(body, path, (s) => s) && (path.reduce<any>((o, k) => o[k], body) as string) === DAY_SAMPLE) {
            days++;
            const a = await send(r.method, fill(r.path), withValue(body, path, () => '2030-02-30'));
            assert.ok(a.status >= 400 && a.status < 500, `${where} ${path.join('.')} = 2030-02-30 -> ${a.status}`);
          }
        }
      }
      for (const param of r.path.match(/:(\w+)/g) ?? []) {
        const a = await send(r.method, fill(r.path, param.slice(1)), body);
        assert.equal([a.status, a.error?.code, a.error?.details?.where], [400, 'control_character', 'path'], `${where} ${param}`);
        if (param === ':day') {
          days++;
          const d = await send(r.method, r.path.replace(/:(\w+)/g, (_, name: string) => (name === 'day' ? '2030-02-30' : paramValue(name))), body);
          assert.ok(d.status >= 400 && d.status < 500, `${where} :day = 2030-02-30 -> ${d.status}`);
        }
      }
    }
    // Query strings, on every endpoint, reads too.
    for (const r of routes) {
      const a = await send(r.method, `${fill(r.path)}?note=a%00b`, WRITE.has(r.method) ? {} : undefined);
      assert.equal([a.status, a.error?.details?.field], [400, 'note'], `${r.method} ${r.path} query`);
    }
    // A burst of large refused bodies: the heap does not keep them.
    const big = { note: 'x'.repeat(256 * 1024), deep: { a: [{ b: 'y\u0000' }] } };
    for (let i = 0; i < 100; i++) await send('POST', '/api/v1/ticket-types', big);
    gc();
    const grown = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

    process.stdout.write(`  ${writes.length} write endpoints, ${bodies} read a JSON body; ${positions} string positions, ${days} day positions, ${routes.length} query checks; ${requests} requests; heap +${grown.toFixed(1)} MB\n`);
    process.stdout.write(`  bodies sampled from ${schemasUsed.size} exported schemas; a generic body (schema not exported) for: ${generic.join('; ')}\n`);
    process.stdout.write(`  no JSON body read: ${noBody.join('; ')}\n`);
    assert.equal(failures, [], 'no 5xx');
    assert.ok(bodies >= 50, `${bodies} endpoints read a JSON body`);
    assert.ok(days >= 5, `${days} day positions`);
    assert.ok(grown < 48, `heap grew ${grown.toFixed(1)} MB`);
  } finally {
    await cloud.cleanup();
  }
});

test.run();
