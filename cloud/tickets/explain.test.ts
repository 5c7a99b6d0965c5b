import { randomBytes } from 'node:crypto';
import { DeviceAuth } from '../devices/auth.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { comparable, loadDecisionTable } from '../../shared/rules/table.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { loadCloudConfig } from '../config.ts';
import type { CloudContext } from '../context.ts';
import { openDb } from '../db/open.ts';
import { desiredModes, entries, lanes, sales, tickets, ticketTypes } from '../db/schema/index.ts';
import { loadIssuerKey } from '../keys/issuer.ts';
import { changeLogId } from '../sync/changes.ts';
import { freshCloudDataDir } from '../../test/support/pglite.ts';
import { explainTicket } from './service.ts';

// The shared decision table, explained by HQ from its database with the same rule engine.
const dataDir = await freshCloudDataDir();
const opened = await openDb({ pgliteDir: `${dataDir}/pglite` });
const db = opened.db;
const ctx: CloudContext = {
  config: loadCloudConfig({ dataDir }, {}), db, changeLog: await changeLogId(opened.db), key: await loadIssuerKey(db, `${dataDir}/keys`), log: silentLogger,
  deviceAuth: new DeviceAuth(randomBytes(32), false), now: () => Date.now(), notify: () => undefined, publishDesired: () => undefined, publish: () => undefined,
};

test('decision table: HQ explains each case as the gate decides it', async () => {
  for (const c of loadDecisionTable()) {
    const q = c.question;
    await db.execute(sql`truncate entries, tickets, sales, ticket_types, lanes, desired_modes cascade`);
    await db.insert(ticketTypes).values({
      id: q.facts.typeId, code: `t${q.facts.typeId}`, name: 'test', priceFen: 100, validityDays: 1,
      entries: q.facts.entries, persons: q.facts.persons, rules: q.type ?? { kind: 'visitor', faceRequired: false },
    });
    const saleId = randomUUID();
    await db.insert(sales).values({ id: saleId, site: 'demo', typeId: q.facts.typeId, quantity: 1, unitPriceFen: 100, totalFen: 100 });
    await db.insert(tickets).values({
      id: q.facts.ticketId, saleId, site: 'demo', typeId: q.facts.typeId, keyId: ctx.key.keyId, code: '-',
      validFrom: new Date(q.facts.validFrom * 1000), validUntil: new Date(q.facts.validUntil * 1000),
      persons: q.facts.persons, entries: q.facts.entries, priceFen: 100, revokedReason: q.revoked,
    });
    const allLanes = new Map([q.lane, ...(q.siteLanes ?? [])].map((l) => [l.lane, l]));
    for (const rules of allLanes.values()) await db.insert(lanes).values({ site: 'demo', lane: rules.lane, rules });
    for (const p of q.history) {
      await db.insert(entries).values({
        nonce: randomUUID(), ticketId: q.facts.ticketId, site: 'demo', device: 'gate-x', lane: p.lane, venue: p.venue,
        direction: p.direction, kind: p.kind, persons: p.persons, deviceTime: new Date(p.at), correctedTime: new Date(p.at),
      });
    }
    if (q.mode !== 'normal') await db.insert(desiredModes).values({ site: 'demo', device: '', mode: q.mode, version: 1 });
    const { verdict } = await explainTicket(ctx, q.facts.ticketId, { lane: q.lane.lane, direction: q.direction, at: q.now, persons: q.persons });
    assert.equal(comparable(verdict, c.expect), c.expect, c.name);
  }
});

test.after(async () => {
  await opened.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
