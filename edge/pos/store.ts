import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The POS's SQLite: the site's wallets as HQ last told it (balance and version), its shop's
 * items, and every charge made here, which is also the outbox (a charge without HQ's answer
 * is still to be sent). Versioned migrations by `user_version`.
 */
const MIGRATIONS: string[] = [
  `create table meta (key text primary key, value text not null);
   create table wallets (id text primary key, band_uid text not null unique, state text not null, balance_fen integer not null, version integer not null);
   create table items (code text primary key, name text not null, price_fen integer not null);
   create table charges (
     seq integer primary key autoincrement,
     charge_id text not null unique,
     wallet_id text not null,
     band_uid text not null,
     amount_fen integer not null,
     items text not null,
     void_of text,
     at integer not null,
     offline integer not null,
     hq_result text,
     hq_version integer,
     attempts integer not null default 0,
     next_attempt_at integer not null default 0,
     last_error text
   );
   create index charges_band_idx on charges (band_uid);
   create index charges_outbox_idx on charges (hq_result, next_attempt_at);`,
  // hq: sent for HQ to decide (online), the cashier waits for its word; local: decided here,
  // the goods handed over, HQ must record it (an over-spend is reported, never refused).
  `alter table charges add column decided text not null default 'local';`,
  // pendingFen sums a wallet's charges on every charge: by index, not a scan of the day.
  `create index charges_wallet_idx on charges (wallet_id);`,
];

export interface WalletRow { id: string; bandUid: string; state: string; balanceFen: number; version: number }
export interface ItemRow { code: string; name: string; priceFen: number }
export interface ChargeLine { code: string; name: string; priceFen: number; quantity: number }
export interface ChargeRow {
  seq: number; chargeId: string; walletId: string; bandUid: string; amountFen: number; items: ChargeLine[]; voidOf: string | null;
  at: number; offline: boolean; hqResult: string | null; hqVersion: number | null;
  decided: 'hq' | 'local';
}

const chargeOf = (r: any): ChargeRow => ({
  seq: r.seq, chargeId: r.charge_id, walletId: r.wallet_id, bandUid: r.band_uid, amountFen: r.amount_fen, items: JSON.parse(r.items), voidOf: r.void_of,
  at: r.at, offline: r.offline === 1, hqResult: r.hq_result, hqVersion: r.hq_version, decided: r.decided,
});

export class PosStore {
  readonly db: Database.Database;

  constructor(path: string, private readonly now: () => number) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // A charge the cashier saw confirmed survives a power cut.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    const at = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = at; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  meta(key: string): string | undefined {
    return (this.db.prepare('select value from meta where key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value').run(key, value);
  }

  checkpoint(): number {
    return Number(this.meta('checkpoint') ?? 0);
  }

  /** One page of HQ's wallet feed, in one transaction with its checkpoint. */
  applyWallets(list: WalletRow[], next: number): void {
    const up = this.db.prepare(`insert into wallets (id, band_uid, state, balance_fen, version) values (@id, @bandUid, @state, @balanceFen, @version)
      on conflict (id) do update set band_uid = excluded.band_uid, state = excluded.state, balance_fen = excluded.balance_fen, version = excluded.version
      where excluded.version > wallets.version`);
    const drop = this.db.prepare('delete from wallets where id = ?');
    // A band returned and issued again is a new wallet: the old row must give up the UID.
    const freeBand = this.db.prepare('delete from wallets where band_uid = ? and id <> ?');
    this.db.transaction(() => {
      for (const w of list) {
        if (w.state === 'settled') { drop.run(w.id); continue; }
        freeBand.run(w.bandUid, w.id);
        up.run(w);
      }
      this.setMeta('checkpoint', String(next));
    })();
  }

  /** A newer balance learnt from HQ's answer to an upload. */
  learnBalance(walletId: string, balanceFen: number, version: number): void {
    this.db.prepare('update wallets set balance_fen = ?, version = ? where id = ? and version < ?').run(balanceFen, version, walletId, version);
  }

  wallet(bandUid: string): WalletRow | undefined {
    const r = this.db.prepare('select id, band_uid, state, balance_fen, version from wallets where band_uid = ?').get(bandUid) as any;
    return r && { id: r.id, bandUid: r.band_uid, state: r.state, balanceFen: r.balance_fen, version: r.version };
  }

  /** Which band holds which locker (HQ's list, replaced whole on every pull). */
  setLockers(list: { code: string; bandUid: string | null }[]): void {
    this.setMeta('lockers', JSON.stringify(list));
  }

  lockersOf(bandUid: string): string[] {
    const list = JSON.parse(this.meta('lockers') ?? '[]') as { code: string; bandUid: string | null }[];
    return list.filter((l) => l.bandUid === bandUid).map((l) => l.code);
  }

  walletCount(): number {
    return (this.db.prepare('select count(*) as n from wallets').get() as { n: number }).n;
  }

  setItems(items: ItemRow[]): void {
    this.db.transaction(() => {
      this.db.prepare('delete from items').run();
      const ins = this.db.prepare('insert into items (code, name, price_fen) values (?, ?, ?)');
      for (const i of items) ins.run(i.code, i.name, i.priceFen);
    })();
  }

  items(): ItemRow[] {
    return (this.db.prepare('select code, name, price_fen from items order by code').all() as any[]).map((r) => ({ code: r.code, name: r.name, priceFen: r.price_fen }));
  }

  /**
   * What this POS charged a band that HQ's balance (as cached) does not include yet: charges
   * not answered, or answered with a version newer than the cache. Refunds count negative.
   * `offline`: only those decided offline.
   */
  pendingFen(w: WalletRow, offlineOnly = false): number {
    const r = this.db.prepare(`select coalesce(sum(case when void_of is null then amount_fen else -amount_fen end), 0) as s from charges
      where wallet_id = ? and (hq_result is null or (hq_result not like 'rejected%' and (hq_version is null or hq_version > ?))) ${offlineOnly ? 'and offline = 1' : ''}`).get(w.id, w.version) as { s: number };
    return r.s;
  }

  /**
   * Records a charge decided by `decide` inside one transaction: the check and the insert
   * cannot be separated by another charge of the same band, and a charge is either stored
   * (then sent, once) or not at all.
   */
  charge<T>(decide: () => T & { row?: Omit<ChargeRow, 'seq' | 'hqResult' | 'hqVersion'> }): T {
    return this.db.transaction(() => {
      const out = decide();
      if (out.row) {
        const c = out.row;
        this.db.prepare(`insert into charges (charge_id, wallet_id, band_uid, amount_fen, items, void_of, at, offline, decided) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(c.chargeId, c.walletId, c.bandUid, c.amountFen, JSON.stringify(c.items), c.voidOf, c.at, c.offline ? 1 : 0, c.decided);
      }
      return out;
    }).immediate();
  }

  chargeById(chargeId: string): ChargeRow | undefined {
    const r = this.db.prepare('select * from charges where charge_id = ?').get(chargeId);
    return r ? chargeOf(r) : undefined;
  }

  voidOf(chargeId: string): ChargeRow | undefined {
    const r = this.db.prepare('select * from charges where void_of = ?').get(chargeId);
    return r ? chargeOf(r) : undefined;
  }

  recentCharges(limit = 20): ChargeRow[] {
    return (this.db.prepare("select * from charges where hq_result is null or hq_result not like 'rejected%' order by seq desc limit ?").all(limit) as any[]).map(chargeOf);
  }

  // ---- outbox ----

  outboxDue(limit: number): ChargeRow[] {
    return (this.db.prepare('select * from charges where hq_result is null and next_attempt_at <= ? order by seq limit ?').all(this.now(), limit) as any[]).map(chargeOf);
  }

  outboxSize(): number {
    return (this.db.prepare('select count(*) as n from charges where hq_result is null').get() as { n: number }).n;
  }

  outboxNextAt(): number | undefined {
    const r = this.db.prepare('select min(next_attempt_at) as t from charges where hq_result is null').get() as { t: number | null };
    return r.t ?? undefined;
  }

  /**
   * HQ's answers. A refusal of a charge sent for HQ to decide is taken only while the cashier
   * still waits for it: one the POS has meanwhile decided itself (HQ too slow) stays queued and
   * goes again as a charge HQ must record.
   */
  acknowledge(results: { chargeId: string; result: string; version?: number; balanceFen?: number }[], sentAs: Map<string, 'hq' | 'local'> = new Map()): void {
    const set = this.db.prepare('update charges set hq_result = ?, hq_version = ? where charge_id = ?');
    this.db.transaction(() => {
      for (const r of results) {
        const c = this.chargeById(r.chargeId);
        if (r.result.startsWith('rejected:') && sentAs.get(r.chargeId) === 'hq' && c?.decided === 'local') continue;
        set.run(r.result, r.version ?? null, r.chargeId);
        if (c && r.version !== undefined && r.balanceFen !== undefined) this.learnBalance(c.walletId, r.balanceFen, r.version);
      }
    })();
  }

  /**
   * HQ did not answer in time: the POS decides this charge itself, unless HQ's answer came in
   * meanwhile. Returns the row as it now stands.
   */
  decideLocally(chargeId: string): ChargeRow {
    return this.db.transaction(() => {
      this.db.prepare("update charges set decided = 'local', offline = 1 where charge_id = ? and hq_result is null").run(chargeId);
      return this.chargeById(chargeId)!;
    }).immediate();
  }

  deferred(chargeIds: string[], error: string, nextAt: number): void {
    const up = this.db.prepare('update charges set attempts = attempts + 1, last_error = ?, next_attempt_at = ? where charge_id = ?');
    this.db.transaction(() => {
      for (const id of chargeIds) up.run(error.slice(0, 500), nextAt, id);
    })();
  }
}
