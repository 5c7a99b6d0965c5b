import { randomBytes, randomUUID } from 'node:crypto';
import { DeviceAuth } from '../devices/auth.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { EntryQuestion } from '../../shared/rules/decide.ts';
import { comparable, loadDecisionTable, loadPickTable, othersInside, pickLabel, verdictPart } from '../../shared/rules/table.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { loadCloudConfig } from '../config.ts';
import type { CloudContext } from '../context.ts';
import { openDb } from '../db/open.ts';
import { desiredModes, entries, lanes, sales, ticketSlots, tickets, ticketTypes, timeSlots, venueCapacity } from '../db/schema/index.ts';
import { loadIssuerKey } from '../keys/issuer.ts';
import { changeLogId } from '../sync/changes.ts';
import { ensureDefaultSite } from '../sites/service.ts';
import { freshCloudDataDir } from '../../test/support/pglite.ts';
import { bindCredentialTx } from './credentials.ts';
import { explainCredential, explainTicket, revokeTicket } from './service.ts';

// The shared decision table, explained by HQ from its database with the same rule engine.
const dataDir = await freshCloudDataDir();
const opened = await openDb({ pgliteDir: `${dataDir}/pglite` });
const db = opened.db;
const clock = { now: Date.now() };
const ctx: CloudContext = {
  config: loadCloudConfig({ dataDir }, {}), db, changeLog: await changeLogId(opened.db), key: await loadIssuerKey(db, `${dataDir}/keys`), log: silentLogger,
  deviceAuth: new DeviceAuth(randomBytes(32), false), now: () => clock.now, notify: () => undefined, publishDesired: () => undefined, publish: () => undefined,
};
await ensureDefaultSite(db, 'demo');
await db.execute(sql`insert into venues (site, venue, name) values ('demo', 'garden', '园中园')`);

/** Puts one case's tickets, lanes, history and mode into HQ's tables, as sales and gates would have. */
async function load(questions: EntryQuestion[], onTicket?: (q: EntryQuestion) => Promise<void>) {
  await db.execute(sql`truncate entries, credentials, tickets, sales, ticket_types, lanes, desired_modes, venue_capacity, ticket_slots, time_slots cascade`);
  const q0 = questions[0]!;
  if (q0.venue) {
    const v = q0.venue;
    await db.insert(venueCapacity).values({ site: 'demo', venue: v.venue, capacity: v.capacity ?? null, warnPercent: v.warnPercent, exemptKinds: v.exemptKinds, slotEarlyMinutes: v.slotEarlyMinutes, slotLateMinutes: v.slotLateMinutes });
  }
  const others = othersInside(q0);
  if (others > 0) {
    await db.insert(entries).values({ nonce: randomUUID(), ticketId: null, site: 'demo', device: 'gate-x', lane: 'lane-0', venue: q0.lane.venue, direction: 'in', kind: 'emergency', persons: others, deviceTime: new Date(q0.now - 1000), correctedTime: new Date(q0.now - 1000) });
  }
  for (const q of questions) {
    await db.insert(ticketTypes).values({
      id: q.facts.typeId, code: `t${q.facts.typeId}`, name: 'test', priceFen: 100, validityDays: 1,
      entries: q.facts.entries, persons: q.facts.persons, rules: q.type ?? { kind: 'visitor', faceRequired: false },
    }).onConflictDoNothing();
  }
  const allLanes = new Map([q0.lane, ...(q0.siteLanes ?? [])].map((l) => [l.lane, l]));
  for (const rules of allLanes.values()) await db.insert(lanes).values({ site: 'demo', lane: rules.lane, rules });
  if (q0.mode !== 'normal') await db.insert(desiredModes).values({ site: 'demo', device: '', mode: q0.mode, version: 1 });
  for (const q of questions) {
    const saleId = randomUUID();
    await db.insert(sales).values({ id: saleId, site: 'demo', typeId: q.facts.typeId, quantity: 1, unitPriceFen: 100, totalFen: 100 });
    await db.insert(tickets).values({
      id: q.facts.ticketId, saleId, site: 'demo', typeId: q.facts.typeId, keyId: ctx.key.keyId, code: '-',
      validFrom: new Date(q.facts.validFrom * 1000), validUntil: new Date(q.facts.validUntil * 1000),
      persons: q.facts.persons, entries: q.facts.entries, priceFen: 100,
    });
    if (q.slot) {
      const [slot] = await db.insert(timeSlots).values({ site: 'demo', venue: q.lane.venue, day: 'any', slotFrom: q.slot.from, slotTo: q.slot.to, quota: 100 }).returning();
      await db.insert(ticketSlots).values({ ticketId: q.facts.ticketId, slotId: slot!.id, persons: q.facts.persons });
    }
    for (const p of q.history) {
      await db.insert(entries).values({
        nonce: randomUUID(), ticketId: q.facts.ticketId, site: 'demo', device: 'gate-x', lane: p.lane, venue: p.venue,
        direction: p.direction, kind: p.kind, persons: p.persons, deviceTime: new Date(p.at), correctedTime: new Date(p.at),
      });
    }
    await onTicket?.(q);
  }
}

test('decision table: HQ explains each case as the gate decides it', async () => {
  for (const c of loadDecisionTable()) {
    const q = c.question;
    // A gate's offline count is its own: HQ counts every entry it holds and is never stale.
    if (q.inPark?.stale) continue;
    clock.now = q.now;
    await load([q], async () => {
      if (q.revoked) await revokeTicket(ctx, q.facts.ticketId, q.revoked as 'refunded');
    });
    const { verdict } = await explainTicket(ctx, q.facts.ticketId, { lane: q.lane.lane, direction: q.direction, at: q.now, persons: q.persons });
    assert.equal(comparable(verdict, c.expect), c.expect, c.name);
  }
});

test('decision table: one credential, several tickets, bound through HQ\'s own rules (re-bound after a refund or expiry)', async () => {
  for (const c of loadPickTable()) {
    const q0 = c.tickets[0]!.question;
    clock.now = q0.now;
    // Each ticket is bound in turn, as windows would: a card held by a refunded or expired ticket is free again.
    await load(c.tickets.map((t) => t.question), async (q) => {
      await db.transaction((tx) => bindCredentialTx(tx, 'demo', q.facts.ticketId, c.credential.kind, c.credential.value, { now: clock.now }));
      if (q.revoked) await revokeTicket(ctx, q.facts.ticketId, q.revoked as 'refunded');
    });
    const r = await explainCredential(ctx, { kind: c.credential.kind, value: c.credential.value, lane: q0.lane.lane, direction: q0.direction, at: q0.now, persons: q0.persons });
    assert.is(pickLabel(c, r.ticketId ?? undefined), c.expect.ticket, c.name);
    const e = verdictPart(c.expect);
    assert.equal(comparable(r.verdict, e), e, c.name);
    // A refunded ticket's binding is gone; a card or barcode has one live binding (an ID card any number).
    const live = c.credential.kind === 'idcard' ? c.tickets.filter((t) => !t.question.revoked).length : 1;
    assert.is(r.among, live, `${c.name}: live bindings`);
  }
});

test.after(async () => {
  await opened.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
