import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'drizzle-orm';
import { api, freshPostgres, startTestCloud } from './support/cloud.ts';
import { must, seedOffice } from './support/office.ts';

type TestCloud = Awaited<ReturnType<typeof startTestCloud>>;

/** Seeded, so a failure replays the same day. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRICE: Record<string, number> = { adult: 12000, child: 6000 };

/**
 * A day at two windows: 200 mixed orders paid by combined methods, refunds and reissues,
 * both shifts closed. The shift reports, the payment rows and the audit log must agree to
 * the fen with what the sellers took; the audit chain verifies until a row is edited by hand.
 */
async function dayInTheLife(cloud: TestCloud) {
  const u = cloud.url;
  const { sellers } = await seedOffice(u);
  for (const s of sellers) must(await api(u, `/api/v1/users/${s.id}`, { method: 'PATCH', body: { permissions: ['refund'] } }), 200);
  const acct = must(await api(u, '/api/v1/customer-accounts', { body: { name: '合作旅行社', category: 'agency', creditLimitFen: 2_000_000 } }), 201);
  must(await api(u, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'deposit', amount: 1_000_000, note: '预存' } }), 201);
  for (let i = 1; i <= 40; i++) must(await api(u, '/api/v1/vouchers', { body: { code: `DAY-${i}`, valueFen: 3000 } }), 201);
  const floats = [50000, 30000];
  const shifts: string[] = [];
  for (const [i, s] of sellers.entries()) shifts.push(must(await api(u, '/api/v1/shifts', { token: s.token, body: { floatFen: floats[i] } }), 201).id);

  // What each seller took, by method, as the sellers themselves would tally it.
  const took = sellers.map(() => new Map<string, number>());
  const add = (i: number, m: string, n: number) => took[i]!.set(m, (took[i]!.get(m) ?? 0) + n);
  let voucherNo = 0;
  const counts = { orders: 0, refunds: 0, reissues: 0, pending: 0 };

  async function window(i: number, n: number) {
    const s = sellers[i]!;
    const r = rng(1000 + i);
    for (let k = 0; k < n; k++) {
      const lines = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
        const type = r() < 0.6 ? 'adult' : 'child';
        const discount = r() < 0.2 ? (r() < 0.5 ? 'half' : 'minus10') : undefined;
        return { type, quantity: 1 + Math.floor(r() * 4), ...(discount ? { discount } : {}) };
      });
      const total = lines.reduce((a, l) => a + l.quantity * (l.discount === 'half' ? PRICE[l.type]! / 2 : l.discount === 'minus10' ? PRICE[l.type]! - 1000 : PRICE[l.type]!), 0);
      // Split the total over one to three methods.
      const payments: any[] = [];
      let left = total;
      const useAccount = r() < 0.15;
      if (r() < 0.3 && voucherNo < 40 && left >= 3000) { payments.push({ method: 'voucher', amountFen: 3000, code: `DAY-${++voucherNo}` }); left -= 3000; }
      if (useAccount && left > 0) {
        const part = Math.min(left, 5000 + Math.floor(r() * 10) * 1000);
        payments.push(r() < 0.5 ? { method: 'on_account', amountFen: part } : { method: 'deposit', amountFen: part });
        left -= part;
      }
      if (left > 0 && r() < 0.4) { const part = Math.ceil(left / 2); payments.push({ method: 'card', amountFen: part, reference: `POS-${i}-${k}` }); left -= part; }
      if (left > 0) {
        const m = r();
        if (m < 0.6) payments.push({ method: 'cash', amountFen: left, tenderedFen: Math.ceil(left / 10000) * 10000 });
        else payments.push({ method: 'mobile', amountFen: left, authCode: `13${String(i)}${String(k).padStart(4, '0')}12345678${m < 0.8 ? '0' : '1'}` });
      }
      let o = must(await api(u, '/api/v1/orders', { token: s.token, body: { account: useAccount ? acct.id : undefined, lines, payments } }), 201);
      if (o.status === 'pending') {
        counts.pending++;
        o = must(await api(u, `/api/v1/payments/intents/${o.intents[0].id}/query`, { token: s.token, body: {} }), 200);
      }
      assert.is(o.status, 'issued');
      assert.is(o.totalFen, total);
      counts.orders++;
      for (const p of o.payments) add(i, p.method, p.amountFen);
      const tickets = o.lines.flatMap((l: any) => l.tickets);
      if (k % 9 === 4) {
        // Take one ticket back, by the first method the order used that covers it.
        const t = tickets[0];
        const method = o.payments.find((p: any) => p.amountFen >= t.priceFen && p.method !== 'voucher')?.method;
        if (method && t.priceFen > 0) {
          const rf = must(await api(u, `/api/v1/orders/${o.id}/refunds`, { token: s.token, body: { tickets: [t.id], method, reason: '游客退票' } }), 201);
          const p = rf.order.payments.find((x: any) => x.refundId === rf.refundId);
          add(i, p.method, p.amountFen);
          counts.refunds++;
        }
      }
      if (k % 13 === 7) {
        must(await api(u, `/api/v1/tickets/${tickets[tickets.length - 1].id}/reissue`, { token: s.token, body: { reason: 'lost' } }), 201);
        counts.reissues++;
      }
    }
  }
  await Promise.all([window(0, 100), window(1, 100)]);
  assert.is(counts.orders, 200);
  assert.ok(counts.refunds >= 15 && counts.reissues >= 10 && counts.pending >= 5, JSON.stringify(counts));

  // Close both shifts, counting exactly what the tally says is in the drawer.
  const reports = [];
  for (const [i, s] of sellers.entries()) {
    const counted = { cash: (took[i]!.get('cash') ?? 0) + floats[i]! };
    reports.push(must(await api(u, `/api/v1/shifts/${shifts[i]}/close`, { token: s.token, body: { counted } }), 200).report);
  }
  for (const [i, r] of reports.entries()) {
    for (const p of r.payments) assert.is(p.chargesFen - p.refundsFen, took[i]!.get(p.method) ?? 0, `seller ${i} ${p.method}`);
    assert.is(r.payments.find((p: any) => p.method === 'cash').differenceFen, 0);
    assert.is(r.orders, 100);
  }
  // Shift reports = payment rows in the shifts = audit records, to the fen, per method; the
  // agency's deposit, taken by the office, is in the office's cash book, in no shift.
  const db = cloud.ctx!.db;
  const rows = (await db.execute(sql`select method, sum(amount_fen)::bigint as total from payments where shift_id is not null group by method`) as any).rows as { method: string; total: string }[];
  const audited = (await db.execute(sql`select body->>'method' as method, sum((body->>'amountFen')::bigint)::bigint as total from audit_log where action = 'payment' and body->>'shiftId' is not null group by 1`) as any).rows as { method: string; total: string }[];
  const office = (await db.execute(sql`select book, count(*)::int as n, sum(amount_fen)::bigint as total from payments where shift_id is null group by book`) as any).rows as { book: string; n: number; total: string }[];
  assert.equal(office.map((x) => [x.book, Number(x.n), Number(x.total)]), [['office', 1, 1_000_000]], 'the deposit alone is outside the shifts, in the office book');
  const fromReports = new Map<string, number>();
  for (const r of reports) for (const p of r.payments) fromReports.set(p.method, (fromReports.get(p.method) ?? 0) + p.chargesFen - p.refundsFen);
  for (const m of new Set([...rows.map((x) => x.method), ...fromReports.keys()])) {
    const inTable = Number(rows.find((x) => x.method === m)?.total ?? 0);
    assert.is(fromReports.get(m) ?? 0, inTable, `${m}: shift reports vs payments`);
    assert.is(Number(audited.find((x) => x.method === m)?.total ?? 0), inTable, `${m}: audit vs payments`);
  }
  const sumTook = took.reduce((a, t) => a + [...t.values()].reduce((x, y) => x + y, 0), 0);
  assert.is(rows.reduce((a, x) => a + Number(x.total), 0), sumTook);

  const ok = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.ok(ok.ok, JSON.stringify(ok.problems.slice(0, 3)));
  // One row edited by hand, one removed: each is found.
  // (with the triggers off, as someone with full database access could; cloud/audit/README.md)
  const asAttacker = (q: ReturnType<typeof sql>) => db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(q);
  });
  await asAttacker(sql`update payments set amount_fen = amount_fen + 1 where id = (select id from payments where method = 'card' order by id limit 1)`);
  let bad = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.not.ok(bad.ok);
  assert.equal(bad.problems.map((p: any) => [p.kind, p.table, p.column]), [['row_edited', 'payments', 'amount_fen']]);
  await asAttacker(sql`update payments set amount_fen = amount_fen - 1 where id = (select id from payments where method = 'card' order by id limit 1)`);
  assert.ok(must(await api(u, '/api/v1/audit/verify'), 200).ok);
  await db.execute(sql`delete from audit_log where seq = (select max(seq) - 10 from audit_log)`);
  bad = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.not.ok(bad.ok);
  assert.match(JSON.stringify(bad.problems), /missing/);
}

/** Races: 50 sellers' orders at once for 30 places, 10 credit orders at once against one limit. */
async function races(cloud: TestCloud) {
  const u = cloud.url;
  const { sellers } = await seedOffice(u, { capacity: 30 });
  for (const s of sellers) must(await api(u, '/api/v1/shifts', { token: s.token, body: { floatFen: 0 } }), 201);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    api(u, '/api/v1/orders', { token: sellers[i % 2]!.token, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] } })));
  const codes = results.map((r) => (r.status === 201 ? 'ok' : r.body.error?.code));
  assert.is(codes.filter((c) => c === 'ok').length, 30, JSON.stringify(codes));
  assert.is(codes.filter((c) => c === 'sold_out').length, 20);
  const day = results.find((r) => r.status === 201)!.body.visitDay;
  assert.is(must(await api(u, `/api/v1/capacity/adult/${day}`), 200).sold, 30);
  const acct = must(await api(u, '/api/v1/customer-accounts', { body: { name: '签单单位', creditLimitFen: 30000 } }), 201);
  const credit = await Promise.all(Array.from({ length: 10 }, (_, i) =>
    api(u, '/api/v1/orders', { token: sellers[i % 2]!.token, body: { account: acct.id, lines: [{ type: 'child', quantity: 1 }], payments: [{ method: 'signed_bill', amountFen: 6000, signer: '王经理' }] } })));
  assert.is(credit.filter((r) => r.status === 201).length, 5, JSON.stringify(credit.map((r) => r.body.error?.code ?? r.status)));
  assert.ok(credit.every((r) => r.status === 201 || r.body.error.code === 'credit_limit'));
  assert.is(must(await api(u, `/api/v1/customer-accounts/${acct.id}`), 200).balances.credit, 30000);
  const verified = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.ok(verified.ok, JSON.stringify(verified.problems?.slice(0, 3)));
}

test('PGlite: races for the last places and the last credit', async () => {
  const cloud = await startTestCloud();
  try {
    await races(cloud);
  } finally {
    await cloud.cleanup();
  }
});

test('PGlite: a day at two windows adds up to the fen', async () => {
  const cloud = await startTestCloud();
  try {
    await dayInTheLife(cloud);
  } finally {
    await cloud.cleanup();
  }
});

const pgAvailable = Boolean(process.env.TEST_DATABASE_URL);
(pgAvailable || process.env.CI ? test : test.skip)('Postgres server: the same races and the same day', async () => {
  for (const run of [races, dayInTheLife]) {
    const pg = await freshPostgres();
    assert.ok(pg, 'TEST_DATABASE_URL must name a Postgres server in CI (.ci/run starts one)');
    const cloud = await startTestCloud({ databaseUrl: pg.url });
    try {
      await run(cloud);
    } finally {
      await cloud.cleanup();
      await pg.drop();
    }
  }
});

test.run();
