import { api, call } from '../../api/client.ts';

/** What a window sells: the types granted to this seller with their price for the day, discounts granted, customers. */
export interface Catalog {
  types: { code: string; name: string; priceFen: number; left?: number | null }[];
  discounts: { code: string; name: string }[];
  accounts: { id: string; name: string; category: string }[];
}

export type QuoteLine = { type: string; quantity: number; discount?: string; group: 'each' | 'one' };
export type Quote = Awaited<ReturnType<typeof quote>>;

export async function loadSaleCatalog(visitDay?: string): Promise<Catalog> {
  const [types, discounts, accounts, grants] = await Promise.all([
    call(api.GET('/ticket-types')),
    call(api.GET('/discounts')),
    call(api.GET('/customer-accounts', { params: { query: { active: 'true', limit: 200 } } })),
    call(api.GET('/auth/grants')),
  ]);
  const sellable = types.items.filter((x) => x.active && (grants.all || grants.types.includes(x.code)));
  // The price of each type on the visit day (price calendar applied), from HQ's quote.
  const priced = sellable.length
    ? await call(api.POST('/quote', { body: { lines: sellable.map((x) => ({ type: x.code, quantity: 1, group: 'each' as const })), ...(visitDay ? { visitDay } : {}) } }))
    : undefined;
  return {
    types: sellable.map((x, i) => ({ code: x.code, name: x.name, priceFen: priced?.lines[i]?.unitFen ?? x.priceFen })),
    discounts: discounts.items.filter((d) => d.active && (grants.all || grants.discounts.includes(d.code))).map((d) => ({ code: d.code, name: d.name })),
    accounts: accounts.items.map((a) => ({ id: a.id, name: a.name, category: a.category })),
  };
}

export async function quote(lines: QuoteLine[], account?: string, visitDay?: string) {
  return call(api.POST('/quote', { body: { lines, ...(account ? { account } : {}), ...(visitDay ? { visitDay } : {}) } }));
}
