import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { withoutTypings } from './open.ts';
import { auditPending, bookings, bookingItems, ticketTypes, timeSlots, tickets } from './schema/index.ts';

/** HQ's handle drops drizzle's per-parameter type hints: the statements it builds are the same, text and values. */
test('without type hints the same statement texts and parameters are built', () => {
  const plain = drizzle.mock({ casing: 'snake_case' });
  const lean = withoutTypings(drizzle.mock({ casing: 'snake_case' }));
  const dialect = (db: object) => (db as unknown as { dialect: { prepareTyping?: unknown; sqlToQuery(q: unknown): { sql: string; params: unknown[]; typings?: unknown[] } } }).dialect;
  assert.type(dialect(plain).prepareTyping, 'function');
  assert.is(dialect(lean).prepareTyping, undefined);
  const at = new Date(Date.UTC(2026, 11, 7, 2, 0));
  const build = (db: typeof plain) => [
    db.insert(auditPending).values([{ at, actor: 'user:1', action: 'note', subject: 's', body: { a: [1, '二'] } }, { at, actor: null, action: 'x', subject: 't', body: {} }]),
    db.select({ b: bookings, item: bookingItems, type: ticketTypes, slot: timeSlots }).from(bookings)
      .leftJoin(bookingItems, eq(bookingItems.bookingId, bookings.id)).leftJoin(ticketTypes, eq(ticketTypes.id, bookingItems.typeId))
      .leftJoin(timeSlots, eq(timeSlots.id, 3)).where(and(eq(bookings.orderNo, 'B1'), eq(bookings.channelId, 2))).for('update', { of: bookings }),
    db.update(tickets).set({ revokedReason: 'refund', validUntil: at }).where(eq(tickets.id, '0193')),
    db.execute(sql`select take_places(${JSON.stringify([{ k: 'quota' }])}::jsonb) where ${at} < now()`),
  ].map((q) => {
    const { typings: _typings, ...rest } = dialect(db).sqlToQuery((q as unknown as { getSQL?: () => unknown }).getSQL?.() ?? (q as unknown as { sql?: unknown }).sql ?? q);
    return rest;
  });
  const built = build(lean);
  assert.ok(built.every((q) => q.sql.length > 20) && built.reduce((n, q) => n + q.params.length, 0) > 15, 'real statements with their parameters');
  assert.equal(built, build(plain));
});

test.run();
