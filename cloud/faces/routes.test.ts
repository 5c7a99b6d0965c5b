import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { portraits } from '../../shared/face/testing/samples.ts';
import { FacePipeline } from '../../shared/face/pipeline.ts';
import { decodeEmbedding } from '../../shared/face/seal.ts';
import { ADULT, api, startTestCloud } from '../../test/support/cloud.ts';
import { faces, tickets } from '../db/schema/index.ts';
import { changeLogId, readChanges } from '../sync/changes.ts';
import { purgeExpiredFaces } from './service.ts';

/** HQ face binding: what is stored, what goes down the change log, what is refused. */
test('enrol, replace, remove, expire; the change log carries each step', async () => {
  const cloud = await startTestCloud();
  const pipeline = await FacePipeline.open();
  try {
    // sample5 #1 is turned away (refused below); #0 and #3 face the camera.
    const [a, turned, , b] = await portraits(pipeline, ['sample5.jpg']);
    assert.ok(a && b && turned);
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: ADULT })).status, 201);
    const sold = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 2 } })).body.tickets;
    const [t1, t2] = sold as { id: string }[];
    const ctx = cloud.ctx!;

    assert.is((await api(cloud.url, `/api/v1/tickets/${t1!.id}/face`)).status, 404, 'no face yet');
    const first = await api(cloud.url, `/api/v1/tickets/${t1!.id}/face`, { body: { image: a.jpeg.toString('base64') } });
    assert.is(first.status, 201, JSON.stringify(first.body));
    const second = await api(cloud.url, `/api/v1/tickets/${t1!.id}/face`, { body: { image: `data:image/jpeg;base64,${b.jpeg.toString('base64')}`, source: 'idcard' } });
    assert.is(second.status, 201, 'a new photo replaces the face');
    const [row] = await ctx.db.select().from(faces).where(eq(faces.ticketId, t1!.id));
    assert.is(row!.source, 'idcard');
    assert.is(decodeEmbedding(row!.embedding).length, 128);
    assert.is(row!.model, pipeline.model);

    const log = await changeLogId(ctx.db);
    const read = async () => (await readChanges(ctx.db, { site: 'demo', since: 0, limit: 1000, now: ctx.now(), logId: log })).changes.filter((c) => c.kind === 'face');
    let down = await read();
    assert.is(down.length, 2);
    assert.is(down[1]!.kind === 'face' && down[1]!.embedding, row!.embedding, 'the newest face is what gates get last');

    const del = await api(cloud.url, `/api/v1/tickets/${t1!.id}/face`, { method: 'DELETE' });
    assert.is(del.status, 200);
    assert.is((await api(cloud.url, `/api/v1/tickets/${t1!.id}/face`, { method: 'DELETE' })).status, 404);
    down = await read();
    assert.is(down.length, 3);
    assert.is(down[2]!.kind === 'face' && down[2]!.embedding, null, 'gates are told to forget it');

    // Refused: other media, other image formats, a face turned away, nonsense, an expired ticket (and expired faces are purged).
    const text = await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`, { body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.is(text.status, 415);
    assert.is(text.body.error.code, 'unsupported_media_type');
    assert.match(text.body.error.message, /JPEG、PNG/, 'the visitor-facing message names the formats');
    assert.match(text.body.error.detail, /image\/jpeg, image\/png, image\/webp/);
    const tiff = await sharp(a.jpeg).tiff().toBuffer();
    const asTiff = await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`, { body: { image: tiff.toString('base64') } });
    assert.is(asTiff.status, 415);
    assert.is(asTiff.body.error.code, 'unsupported_format');
    assert.match(asTiff.body.error.message, /JPEG、PNG 或 WebP/);
    assert.match(asTiff.body.error.detail, /JPEG, PNG, WEBP/);
    const sideways = await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`, { body: { image: turned.jpeg.toString('base64') } });
    assert.is(sideways.status, 422, JSON.stringify(sideways.body));
    assert.is(sideways.body.error.code, 'poor_quality');
    assert.equal(sideways.body.error.details.issues, ['turned_away']);
    const webp = await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`, { body: { image: `data:image/webp;base64,${(await sharp(a.jpeg).webp().toBuffer()).toString('base64')}` } });
    assert.is(webp.status, 201, 'WebP is taken');
    const bad = await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`, { body: { image: 'x' } });
    assert.is(bad.status, 400);
    assert.is(bad.body.error.code, 'invalid_request');
    assert.is((await api(cloud.url, `/api/v1/tickets/not-a-uuid/face`, { body: { image: a.jpeg.toString('base64') } })).status, 404);
    assert.is((await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`, { body: { image: a.jpeg.toString('base64') } })).status, 201);
    await ctx.db.update(tickets).set({ validUntil: new Date(ctx.now() - 1000) }).where(eq(tickets.id, t2!.id));
    const late = await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`, { body: { image: a.jpeg.toString('base64') } });
    assert.is(late.status, 409);
    assert.is(late.body.error.code, 'ticket_expired');
    await ctx.db.update(faces).set({ validUntil: new Date(ctx.now() - 1000) }).where(eq(faces.ticketId, t2!.id));
    assert.is(await purgeExpiredFaces(ctx), 1);
    assert.is((await api(cloud.url, `/api/v1/tickets/${t2!.id}/face`)).status, 404);
    assert.is((await ctx.db.select().from(faces)).length, 0);
  } finally {
    await pipeline.close();
    await cloud.cleanup();
  }
});

test.run();
