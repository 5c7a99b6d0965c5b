import type Database from 'better-sqlite3';
import { anchorList, type AuditAnchorWire } from '../../shared/hub/anchors.ts';

/**
 * The hub's copy of HQ's signed audit heads (cloud/audit/anchor.ts): fetched with each window
 * sync pass while the line is up, kept in hub.sqlite, never deleted, and handed back on
 * GET /api/v1/hub/anchors for HQ's verify (POST /api/v1/audit/verify, or
 * `npm run cli -- audit-verify --hub <url>`). Someone who edits HQ's database and deletes
 * its anchor file still meets these. The hub checks nothing: HQ's verify believes only
 * anchors signed with its anchor key.
 */
export class AnchorCopy {
  constructor(private readonly db: Database.Database, private readonly now: () => number) {}

  /** The newest seq held (-1: none). */
  lastSeq(): number {
    return (this.db.prepare('select coalesce(max(seq), -1) s from audit_anchors').get() as { s: number }).s;
  }

  add(list: AuditAnchorWire[]): number {
    const st = this.db.prepare('insert into audit_anchors (seq, at, body, received_at) values (?, ?, ?, ?) on conflict do nothing');
    return this.db.transaction(() => list.reduce((n, a) => n + st.run(a.seq, a.at, JSON.stringify(a), this.now()).changes, 0))();
  }

  all(): AuditAnchorWire[] {
    return (this.db.prepare('select body from audit_anchors order by seq, at').all() as { body: string }[]).map((r) => JSON.parse(r.body) as AuditAnchorWire);
  }

  /** Fetches what HQ signed since the newest held, page by page. */
  async pull(get: (path: string) => Promise<unknown>): Promise<number> {
    let added = 0;
    for (;;) {
      const page = anchorList.parse(await get(`/anchors?after=${this.lastSeq()}`));
      if (page.items.length === 0) return added;
      const n = this.add(page.items);
      added += n;
      if (n === 0) return added;
    }
  }
}
