import { api, login } from './cloud.ts';

/** A ticket office to test against: types, a discount, sellers with their grants and open shifts. */
export async function seedOffice(url: string, opts: { capacity?: number } = {}) {
  const types = [
    { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1, dailyCapacity: opts.capacity, saleMethods: ['print', 'card_issue', 'barcode_activation', 'id_binding'] },
    { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 },
    { code: 'vip', name: '贵宾票', priceFen: 50000, validityDays: 1, entries: 1, persons: 1 },
  ];
  for (const t of types) must(await api(url, '/api/v1/ticket-types', { body: t }), 201);
  must(await api(url, '/api/v1/discounts', { body: { code: 'half', name: '半价', kind: 'percent', value: 50 } }), 201);
  must(await api(url, '/api/v1/discounts', { body: { code: 'minus10', name: '立减10元', kind: 'fixed', value: 1000 } }), 201);
  const sellers: { id: string; username: string; token: string }[] = [];
  for (const username of ['seller1', 'seller2']) {
    const u = must(await api(url, '/api/v1/users', { body: { username, displayName: username, roles: ['seller'], password: `${username}-password` } }), 201);
    must(await api(url, `/api/v1/sellers/${u.id}/grants`, { method: 'PUT', body: { types: ['adult', 'child'], discounts: ['half', 'minus10'] } }), 200);
    sellers.push({ id: u.id, username, token: await login(url, username, `${username}-password`) });
  }
  const fin = must(await api(url, '/api/v1/users', { body: { username: 'finance', displayName: '财务', roles: ['finance'], password: 'finance-password' } }), 201);
  return { sellers, finance: { id: fin.id, token: await login(url, 'finance', 'finance-password') } };
}

export function must<T = any>(r: { status: number; body: T }, status: number): T {
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A year's member card (年卡): one holder, entries without limit. */
export const ANNUAL_MEMBER = { code: 'annual', name: '年卡', priceFen: 30000, validityDays: 365, entries: 0, persons: 1, category: 'member', rules: { kind: 'member' } };

export const cash = (amountFen: number, tenderedFen = amountFen) => ({ method: 'cash', amountFen, tenderedFen });
