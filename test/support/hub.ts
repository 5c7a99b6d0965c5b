import type { SiteHub } from '../../edge/hub/hub.ts';
import { must } from './office.ts';

/** One JSON call to a site hub's window API (the same paths and answers as HQ's). */
export async function hubApi(hub: SiteHub, path: string, init: { body?: unknown; token?: string; key?: string; method?: string } = {}) {
  const res = await fetch(`${hub.url}/api/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.key ? { 'idempotency-key': init.key } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: await res.json() as any };
}

export async function hubLogin(hub: SiteHub, username: string, password: string): Promise<string> {
  return must(await hubApi(hub, '/auth/login', { body: { username, password } }), 200).token;
}
